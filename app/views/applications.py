from app.domains import Domain
from app.models import HourApplication


def register(appbuilder, app) -> None:
    pass


DOMAIN = Domain(name="applications", register=register, audited={HourApplication: set()})
