"""注册业务 views (filled in below)."""
from app.domains import Domain


def register(appbuilder, app) -> None:
    pass


DOMAIN = Domain(name="registration", register=register)
