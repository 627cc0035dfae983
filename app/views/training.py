from app.domains import Domain


def register(appbuilder, app):
    pass


DOMAIN = Domain(name="training", register=register)
