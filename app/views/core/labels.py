"""Statuses shown in words everywhere (issue 25 item 8): the database holds codes
("submitted"), a user reads the labels the machine declares ("已提交待北注协审核").

- every list and show page of every CRUD view (and so its CSV / Excel export, which applies
  the list's formatters) gets a `formatters_columns` entry for each coded column;
- a list's or an export's search filter, and a REST filter, accept the words as well as the
  code (a label typed or carried by an old link still finds the rows);
- every REST list / show answer carries the words in the coded columns (`pre_get`);
- templates: `{{ row|status }}` (a row's status in words), `{{ entry|state }}` (a 流程跟踪
  row's state), `{{ value|label(Status.LABELS) }}` (a code from a known class).
"""
from flask_appbuilder.baseviews import BaseCRUDView

from app.workflows.core.labels import code_of, history_label, label, label_of, labels_for

COLUMNS = ("status",)


def coded_columns(model) -> dict[str, dict]:
    """The columns of `model` that hold a coded status, with their labels."""
    return {c: labels_for(model, c) for c in COLUMNS if labels_for(model, c)}


def shows_words(labels: dict):
    """A list / show formatter: the label of a code (a value that is no code as it is)."""
    def words(value):
        return label_of(labels, value)

    words.status_labels = labels  # what export and tests can recognise
    return words


def code_filter_values(filters, model) -> None:
    """A search filter's value given in words is matched as its code (FAB Filters)."""
    coded = coded_columns(model)
    for index, (flt, value) in enumerate(zip(filters.filters, filters.values)):
        labels = coded.get(getattr(flt, "column_name", None))
        if labels:  # FAB keeps a query string's values as a list
            filters.values[index] = [code_of(labels, v) for v in value] \
                if isinstance(value, list) else code_of(labels, value)


def code_rest_filters(rison_args: dict, model) -> dict:
    """The same for a REST list's `filters` ({col, opr, value}; a value may be a list)."""
    coded = coded_columns(model)
    for flt in rison_args.get("filters") or []:
        labels = coded.get(flt.get("col")) if isinstance(flt, dict) else None
        if labels is None or "value" not in flt:
            continue
        value = flt["value"]
        flt["value"] = [code_of(labels, v) for v in value] if isinstance(value, list) \
            else code_of(labels, value)
    return rison_args


def code_statuses(item) -> None:
    """A row about to be saved whose status was given in words (a REST client writing
    "正常" as before) stores the code."""
    for column, labels in coded_columns(type(item)).items():
        value = getattr(item, column, None)
        if value is not None:
            setattr(item, column, code_of(labels, value))


def words_in_result(result: dict, model) -> None:
    """A REST row (dict) with each coded column's code replaced by its label."""
    for column, labels in coded_columns(model).items():
        if column in result:
            result[column] = label_of(labels, result[column])


def _formats_statuses(view) -> None:
    coded = coded_columns(view.datamodel.obj)
    if not coded:
        return
    columns = set(view.list_columns or []) | set(view.show_columns or []) | \
        set(getattr(view, "export_columns", None) or [])
    formatters = dict(view.formatters_columns or {})
    for column, labels in coded.items():
        # a view's own formatter for the column is kept (it shows the words itself)
        if column in columns and getattr(formatters.get(column), "__name__",
                                         "_blank_if_none") == "_blank_if_none":
            formatters[column] = shows_words(labels)
    view.formatters_columns = formatters


def install(app, appbuilder) -> None:
    app.add_template_filter(label, "status")
    app.add_template_filter(history_label, "state")
    app.add_template_filter(lambda value, labels: label_of(labels, value), "label")
    for view in appbuilder.baseviews:
        if isinstance(view, BaseCRUDView):
            _formats_statuses(view)
