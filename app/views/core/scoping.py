"""The row-scoping mixins every ModelView and ModelRestApi of a domain entity uses.

One mechanism (app/workflows/scoping.py) bound to the current user, applied by:
- a base filter on every query FAB makes (list, show, edit, delete, REST get/put/delete);
- the places FAB's base filters do not reach (FAB_NOTES): `@action` handlers, bulk
  actions, file downloads, related-field choices, and submitted data;
- per-request search filters, because FAB keeps them on the shared view instance.

Custom pages whose URL carries an id declare what it is an id of with `@scoped_id(Model)`:
the workflow they call loads the row through the scoped lookup, and a NotFoundError is a
404. The isolation matrix (tests/core/test_isolation.py) finds every URL rule with an id at
run time and fails for one without the declaration, then tries foreign rows on it.
"""
import copy
import functools
from urllib.parse import urlsplit

from flask import abort, current_app, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.views import ModelView
from flask_appbuilder.widgets import ListWidget
from sqlalchemy import inspect as sa_inspect, or_
from wtforms import BooleanField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app import clock
from app.models import Firm, Person
from app.views.core.export import ExportMixin
from app.views.core.labels import (code_filter_values, code_rest_filters, code_statuses,
                                   words_in_result)
from app.workflows.core import files, loading
from app.workflows.core.commands import abandon
from app.workflows.core.errors import DomainError, NotFoundError, error_body
from app.workflows.core.scoping import enforce_owner, is_institute, scope_condition

BLANK_CHOICE = "请选择"


def current_user():
    """The signed-in user of this request (session or JWT), else None."""
    user = getattr(g, "user", None) if has_request_context() else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


class _CachedFilterConverter(SQLAFilterConverter):
    """FAB converts every column of a model into its search filters each time it builds a
    Filters object: at start-up for every view, and (with per-request filters) on every
    request. The result depends only on the datamodel and the column, and the filter
    instances are never mutated (values live beside them), so convert each pair once."""

    _cache: dict = {}

    def convert(self, col_name):
        key = (id(self.datamodel), col_name)
        if key not in self._cache:
            self._cache[key] = super().convert(col_name)
        return self._cache[key]


SQLAInterface.filter_converter_class = _CachedFilterConverter


class _ListLoads(SQLAInterface):
    """A view's datamodel that loads, beside the page's own query, the rows of every
    many-to-one relationship its list shows (a column `firm`, `firm.name` or `person.firm`):
    one statement a page per relationship instead of one per row (issue 28's N+1s)."""

    list_loads: tuple = ()

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        """FAB's list query (SQLAInterface.query) with the list's relationships loaded; the
        export and the one-row lookups keep FAB's own."""
        query = self.session.query(self.obj)
        count = self.query_count(query, filters, select_columns)
        query = self.apply_all(query, filters, order_column, order_direction, page, page_size,
                               select_columns, outer_default_load)
        for path in self.list_loads:
            query = query.options(loading.option(path))
        rows = query.all()
        if all(hasattr(row, self.obj.__name__) for row in rows):  # rows of several entities
            return count, [getattr(row, self.obj.__name__) for row in rows]
        return count, rows


def _with_list_loads(view):
    """`view.datamodel`, loading the relationships its list columns name (see _ListLoads)."""
    model = view.datamodel
    paths = {}  # (relationship attributes) -> the same, in the order the columns name them
    for column in view.list_columns or ():
        path = loading.relation_path(model.obj, column)
        if path:
            paths.setdefault(path, path)
    if not paths or type(model) is not SQLAInterface:
        return model
    loaded = copy.copy(model)
    loaded.__class__ = _ListLoads
    loaded.list_loads = tuple(paths.values())
    return loaded


class RowLinksListWidget(ListWidget):
    """FAB's list with an 操作 column of per-row links, as the manuals show them
    (seed 000 §3: 操作 修改 重置密码). A view sets `row_links = [(label, endpoint,
    permission, permission view)]`; each endpoint takes the row's id as `pk` and a link shows
    only to a role holding its permission."""

    template = "appbuilder/general/widgets/list.html"  # its 操作 column drawn from row_links
    row_links = ()

    def __init__(self, **kwargs):
        kwargs["appbuilder"] = current_app.appbuilder
        kwargs["row_links"] = self.row_links
        super().__init__(**kwargs)


def row_links_widget(links) -> type:
    return type("RowLinksList", (RowLinksListWidget,), {"row_links": tuple(links)})


def scoped_id(model, arg: str = "pk"):
    """Mark a custom page whose URL argument `arg` is an id of `model`; not found → 404."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except NotFoundError:
                abort(404)

        wrapper._scoped_id = (model, arg)
        return wrapper

    return decorate


def upload_limit(max_bytes: int):
    """Mark a page that takes files larger than MAX_CONTENT_LENGTH (a 500 MB handout): the
    request's own limit is raised before anything reads the body (the CSRF check reads the
    form first, so the limit must be in place before it: `raise_upload_limit` runs first)."""

    def decorate(view):
        view._max_content_length = int(max_bytes)
        return view

    return decorate


def raise_upload_limit():
    """before_request, installed ahead of every other: the page's own upload limit."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "_max_content_length", None)
    if limit:
        request.max_content_length = limit


def uploads(field: str = "attachments") -> list:
    """The files of a multipart field, as streams for the file store (empty inputs skipped)."""
    return [files.Upload.of(f) for f in request.files.getlist(field) if f and f.filename]


class FilterRowScope(BaseFilter):
    """Base filter: restricts a query to the rows the current user may see."""

    name = "行范围"
    arg_name = None

    def apply(self, query, value):
        return query.filter(scope_condition(self.model, current_user()))


ROW_SCOPE = ["id", FilterRowScope, None]


class _PerRequestFilters:
    """FAB stores the user's search filters on the (shared) view instance and
    mutates them per request; under a threaded server two requests would see each
    other's filters. Give every request its own Filters object instead."""

    @property
    def _filters(self):
        template = self.__dict__.get("_filters_template")
        if template is None or not has_request_context():
            return template
        store = g.__dict__.setdefault("_scoped_view_filters", {})
        key = id(self)
        if key not in store:
            # a view's own search_filters (REST APIs may declare them) come along
            store[key] = self._own_filters(self.datamodel.get_filters(
                template.search_columns, search_filters=getattr(self, "search_filters", None)
            ))
        return store[key]

    @_filters.setter
    def _filters(self, value):
        self.__dict__["_filters_template"] = self._own_filters(value)

    def _own_filters(self, filters):
        return filters


class FilterRelatedText(BaseFilter):
    """The search of a relationship to a firm or a person as a text box — 名称或编号 (a firm's
    name containing the words, or its code), 姓名或证书编号 (a person's) — instead of FAB's
    list of every row of the table as options (3,000 firms, 60,000 persons; issue 28). What
    is found stays within the list's row scope: a firm admin's list shows its own people
    whatever firm it names, and it is shown no other firm's name."""

    name = "名称或编号"
    arg_name = "rel_text"
    # related model -> (its words: "contains", its number: equal, the filter's name)
    TEXT = {Firm: (Firm.name, Firm.code, "名称或编号"),
            Person: (Person.name, Person.cert_number, "姓名或证书编号")}

    def __init__(self, column_name, datamodel, is_related_view=False):
        super().__init__(column_name, datamodel, is_related_view)
        self.relation = getattr(self.model, column_name)
        self.words, self.code, self.name = self.TEXT[self.relation.property.mapper.class_]

    def apply(self, query, value):
        text = (value or "").strip()[:64]
        if not text:
            return query
        return query.filter(self.relation.has(or_(self.words.contains(text, autoescape=True),
                                                  self.code == text)))


def _text_searched_relations(view) -> dict:
    """{search column: its label} of the many-to-one relationships to a firm or a person."""
    model, found = view.datamodel.obj, {}
    mapper = sa_inspect(model)
    for column in view.search_columns or ():
        relation = mapper.relationships.get(column)
        if relation is not None and not relation.uselist and \
                relation.mapper.class_ in FilterRelatedText.TEXT:
            found[column] = (view.label_columns or {}).get(column, column)
    return found


def _ensure_row_scope(view) -> None:
    """Subclasses may declare their own base_filters; the row scope is always added."""
    base = list(view.base_filters or [])
    if not any(f[1] is FilterRowScope for f in base):
        base.append(ROW_SCOPE)
    view.base_filters = base


def _scope_related_fields(view, attr: str) -> None:
    """Related-field choices (selects in forms, REST /related) show only visible rows."""
    rel_fields = dict(getattr(view, attr, None) or {})
    for column in view.datamodel.get_columns_list():
        if view.datamodel.is_relation(column):
            filters = list(rel_fields.get(column, []))
            if not any(f[1] is FilterRowScope for f in filters):
                filters.append(ROW_SCOPE)
            rel_fields[column] = filters
    setattr(view, attr, rel_fields)


def _blank_choice_in_chinese(form_class) -> None:
    """FAB's optional relation selects offer a blank choice whose text is empty, which WTForms
    renders as its value: users saw "__None" above the firms. Name it 请选择."""
    if form_class is None:
        return
    for attribute in vars(form_class).values():
        if isinstance(attribute, UnboundField) and issubclass(attribute.field_class,
                                                              QuerySelectField) \
                and attribute.kwargs.get("allow_blank"):
            attribute.kwargs["blank_text"] = BLANK_CHOICE


def _optional_booleans(form_class) -> None:
    """FAB makes every column that is NOT NULL required, a boolean too: its tick box rendered
    `required`, so the browser refused to save it unticked (and the server's DataRequired
    refused False). A tick box is always answered — unticked is 否 — so drop the required
    validators of every boolean field of the forms FAB builds (add, edit, search)."""
    if form_class is None:
        return
    for attribute in vars(form_class).values():
        if isinstance(attribute, UnboundField) and issubclass(attribute.field_class,
                                                              BooleanField):
            kept = [v for v in attribute.kwargs.get("validators") or []
                    if not isinstance(v, (DataRequired, InputRequired))]
            attribute.kwargs["validators"] = kept


def _for_institute_only(form_class, columns):
    """The form without `columns` for anyone but staff: a firm admin does not choose the
    firm its rows belong to (they are stamped with its own), so the field and its hint are
    not shown and a submitted value is not read."""
    if form_class is None or not columns:
        return form_class

    class Form(form_class):
        @classmethod
        def refresh(cls, obj=None):
            form = super().refresh(obj)
            if not is_institute(current_user()):
                for column in columns:
                    if column in form:
                        del form[column]
            return form

    Form.__name__ = form_class.__name__
    return Form


def _blank_if_none(value):
    return "" if value is None else value


class _OneUnique(list):
    """FAB appends a `Unique` validator to a column's validator list for every form it
    builds from it (add, edit), so the message showed twice; keep one of each kind."""

    def append(self, validator):
        if not any(type(v) is type(validator) for v in self):
            super().append(validator)


class _SubmittedData:
    """What the UI and REST both do with a row about to be saved: stamp or refuse its owner
    (enforce_owner), then the view's own rules in `clean` (raise DomainError to refuse)."""

    def clean(self, item, creating: bool) -> None:
        """Workflow checks for an item about to be saved (views usually share one function)."""

    def pre_add(self, item):
        enforce_owner(item, current_user())
        code_statuses(item)
        self.clean(item, creating=True)

    def pre_update(self, item):
        enforce_owner(item, current_user())
        code_statuses(item)
        self.clean(item, creating=False)


class ScopedModelView(_SubmittedData, _PerRequestFilters, ExportMixin, ModelView):
    """ModelView for a scoped entity, with export. Subclasses put their rules in `clean`."""

    list_template = "scoped_list.html"
    # buttons above the list: (label, endpoint, icon, permission, permission view)
    list_links = ()
    # form fields (and their hints) only staff see and set, e.g. the firm of a person
    institute_only_columns = ()

    def __init__(self, **kwargs):
        self.extra_args = {**(self.extra_args or {}), "scoped_view": self}
        # FAB prints Python's "None" in empty list and show cells
        self.formatters_columns = {
            **{c: _blank_if_none for c in (self.list_columns or []) + (self.show_columns or [])},
            **(self.formatters_columns or {}),
        }
        self.validators_columns = {
            column: _OneUnique(validators)
            for column, validators in (self.validators_columns or {}).items()
        }
        _ensure_row_scope(self)
        _scope_related_fields(self, "add_form_query_rel_fields")
        _scope_related_fields(self, "edit_form_query_rel_fields")
        _scope_related_fields(self, "search_form_query_rel_fields")
        # a firm or a person is searched by its name or number, never chosen from every row
        self._text_searched = _text_searched_relations(self)
        self.search_form_extra_fields = {
            **{column: StringField(label, validators=[Optional(), Length(max=64)],
                                   widget=BS3TextFieldWidget(),
                                   render_kw={"maxlength": 64})
               for column, label in self._text_searched.items()},
            **(self.search_form_extra_fields or {})}
        super().__init__(**kwargs)
        self.datamodel = _with_list_loads(self)
        for form_class in (self.add_form, self.edit_form, self.search_form):
            _blank_choice_in_chinese(form_class)
            _optional_booleans(form_class)
        self.add_form = _for_institute_only(self.add_form, self.institute_only_columns)
        self.edit_form = _for_institute_only(self.edit_form, self.institute_only_columns)

    def _own_filters(self, filters):
        """The text search of the firm and person relationships (FilterRelatedText)."""
        if filters is not None:
            for column in getattr(self, "_text_searched", ()):
                own = [FilterRelatedText(column, self.datamodel)]
                # FAB offers `_search_filters` and reads a URL's `_flt_<n>_` from `_all_filters`
                filters._search_filters = {**filters._search_filters, column: own}
                filters._all_filters = {**filters._all_filters, column: own}
        return filters

    # after saving or deleting a row, back to the list (FAB went back through its page
    # history, which after a refused save or a fresh session was `/` or an unrelated page)
    # (the list as it was left, with its filters and page, when that is where the user came from)
    def _back_to_list(self):
        list_url = url_for(f"{self.__class__.__name__}.list")
        target = self.get_redirect()
        return redirect(target if urlsplit(target).path == list_url else list_url)

    def post_add_redirect(self):
        return self._back_to_list()

    def post_edit_redirect(self):
        return self._back_to_list()

    def post_delete_redirect(self):
        return self._back_to_list()

    # forms without their institute-only fields: render only the fields the form has
    def _absent(self, form, exclude_cols):
        return list(exclude_cols or []) + [c for c in self.institute_only_columns if c not in form]

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["add"] = self.add_widget(
            form=form, include_cols=[c for c in self.add_columns if c in form],
            exclude_cols=self._absent(form, exclude_cols), fieldsets=self.add_fieldsets)
        return widgets

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(
            form=form, include_cols=[c for c in self.edit_columns if c in form],
            exclude_cols=self._absent(form, exclude_cols), fieldsets=self.edit_fieldsets)
        return widgets

    def _get_list_widget(self, filters, **kwargs):
        code_filter_values(filters, self.datamodel.obj)  # a status given in words
        return super()._get_list_widget(filters=filters, **kwargs)

    def _list(self, **kwargs):
        try:
            return super()._list(**kwargs)
        except IndexError:  # a hand-made _flt_<n>_ index the column does not have: FAB 500s
            abort(400, description="筛选条件无效，请从列表页重新设置筛选")

    # --- where FAB's base filters do not reach --------------------------------
    def _visible(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if self._visible(self._deserialize_pk_if_composite(pk)) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        for pk in request.form.getlist("rowid"):
            if self._visible(self._deserialize_pk_if_composite(pk)) is None:
                abort(404)
        return super().action_post()

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        model = self.datamodel.obj
        file_columns = [
            c for c in self.datamodel.get_columns_list()
            if self.datamodel.is_file(c) or self.datamodel.is_image(c)
        ]
        if not file_columns:
            abort(404)
        query = self.datamodel.session.query(model).filter(
            or_(*[getattr(model, c) == filename for c in file_columns])
        )
        if self._base_filters.apply_all(query).first() is None:
            abort(404)
        return super().download(filename)


class _SchemaOnFirstUse:
    """A ModelRestApi's marshmallow schema (list / add / edit / show), built the first time
    a request or the OpenAPI document needs it instead of for every API at start-up, where
    building the four schemas of each resource was a tenth of a CLI command's start
    (platform issue: a command or a worker starts in <= 1.5 s). The built schema is kept
    on the instance, so each is built once; a class that names its own schema overrides
    this descriptor as before."""

    def __init__(self, columns: str, nested: bool):
        self.columns, self.nested = columns, nested

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, api, owner=None):
        if api is None:
            return self
        if not api.__dict__.get("_ready_for_schemas"):
            # FAB's __init__ walks every attribute (dir + getattr) looking for exposed
            # methods; answering None there keeps the walk from building the schema
            return None
        schema = api.model2schemaconverter.convert(
            getattr(api, self.columns), nested=self.nested,
            parent_schema_name=getattr(api, self.name + "_name"))
        api.__dict__[self.name] = schema
        return schema


class ScopedModelRestApi(_SubmittedData, _PerRequestFilters, ModelRestApi):
    """ModelRestApi for a scoped entity: same scope as the UI; domain errors become 4xx."""

    list_model_schema = _SchemaOnFirstUse("list_columns", nested=True)
    add_model_schema = _SchemaOnFirstUse("add_columns", nested=False)
    edit_model_schema = _SchemaOnFirstUse("edit_columns", nested=False)
    show_model_schema = _SchemaOnFirstUse("show_columns", nested=True)

    def _init_model_schemas(self) -> None:
        """Nothing to build at start-up: each schema is built on first use."""

    def __init__(self, **kwargs):
        _ensure_row_scope(self)
        _scope_related_fields(self, "add_query_rel_fields")
        _scope_related_fields(self, "edit_query_rel_fields")
        super().__init__(**kwargs)
        self._ready_for_schemas = True

    def _get_field_info(self, field, filter_rel_field, *args, **kwargs):
        info = super()._get_field_info(field, filter_rel_field, *args, **kwargs)
        if not self.description_columns.get(field.name):
            # FAB translates an empty description, and gettext("") is the catalog's header
            info["description"] = ""
        return info

    # statuses: REST answers in words, as pages do; a filter may name them in words or codes
    def _handle_filters_args(self, rison_args):
        return super()._handle_filters_args(code_rest_filters(rison_args, self.datamodel.obj))

    def pre_get(self, data):
        super().pre_get(data)
        if isinstance(data.get("result"), dict):
            words_in_result(data["result"], self.datamodel.obj)

    def pre_get_list(self, data):
        super().pre_get_list(data)
        for row in data.get("result") or []:
            words_in_result(row, self.datamodel.obj)

    def _domain_errors(self, call, *args):
        try:
            return call(*args)
        except DomainError as error:
            abandon()
            return self.response(error.status, **error_body(error))

    def post_headless(self):
        return self._domain_errors(super().post_headless)

    def put_headless(self, pk):
        return self._domain_errors(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._domain_errors(super().delete_headless, pk)


def now():
    """The clock the views pass to workflows."""
    return clock.now()
