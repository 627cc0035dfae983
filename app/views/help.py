"""Issue 3 area 'help' (being built)."""


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
