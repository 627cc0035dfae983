"""Issue 3 area 'operations' (being built)."""


def register(appbuilder, app) -> None:
    """Add this area's views, APIs and menu entries."""
