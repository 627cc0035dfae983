"""One clock on every page: each time a user sees is Beijing time, `YYYY-MM-DD HH:MM:SS`.

`app.clock.display` is the one formatter; here it reaches every list and show page of
every FAB CRUD view (ours and FAB's security views) as a `formatters_columns` entry for
each date/time column without its own, and every custom template as the `local_time`
Jinja filter (`{{ item.created_at|local_time }}`).
"""
from flask_appbuilder.baseviews import BaseCRUDView

from app import clock
from app.views.core.scoping import _blank_if_none


def _formats_times(view) -> None:
    datamodel = view.datamodel
    columns = set(view.list_columns or []) | set(view.show_columns or [])
    formatters = dict(view.formatters_columns or {})
    for column in columns:
        if "." in column or (column in formatters and formatters[column] is not _blank_if_none):
            continue
        try:
            is_time = datamodel.is_datetime(column) or datamodel.is_date(column)
        except Exception:  # noqa: BLE001 — a computed column FAB cannot inspect
            is_time = False
        if is_time:
            formatters[column] = clock.display
    view.formatters_columns = formatters


def install(app, appbuilder) -> None:
    app.add_template_filter(clock.display, "local_time")
    for view in appbuilder.baseviews:
        if isinstance(view, BaseCRUDView):
            _formats_times(view)
