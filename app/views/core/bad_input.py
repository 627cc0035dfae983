"""Malformed requests answer 400/403/404 in Chinese, never 500 (issue 14).

Applied generically to every view FAB serves — ours and FAB's own security views:

- ids: `<int:…>` URL arguments beyond the database integer do not match a rule (404), and
  every FAB lookup by primary key (show, edit, delete, actions, REST get/put/delete) treats
  an id that is not an integer in range as "no such row" — after FAB checked permissions;
- list parameters (`page_<View>`, `psize_<View>`, `_oc_<View>`, `_flt_<n>_<column>`) are
  checked against the view before FAB reads them with `int()` or hands them to SQL;
- `/action/<name>/<pk>` and `action_post`: the permission on the view is checked first
  (403), then the action's name (404), its permission (403) and the ids (400/404);
- a REST body sent as JSON must be a JSON object (400), however deeply nested.

Each refusal is logged as a warning (path and reason), without a traceback.
"""
import json
import logging
import re

import prison

from flask import current_app, g, redirect, request, url_for
from flask_appbuilder.baseviews import BaseCRUDView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import ValidationError
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import BigInteger, Integer
from sqlalchemy.exc import NoResultFound
from werkzeug.exceptions import BadRequest, Forbidden, NotFound
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)

INT_MAX = 2**31 - 1  # PostgreSQL's INTEGER; SQLite's limit (2**63) is wider
MAX_PAGE = 10**6
MAX_PAGE_SIZE = 1000
JSON_TYPES = {"application/json"}


class BadInput(BadRequest):
    """400 with a Chinese description (what the error page and the REST message show)."""


def refuse(error_class, message: str):
    log.warning("refused %s %s: %s", request.method, request.full_path, message)
    raise error_class(description=message)


# --- ids -------------------------------------------------------------------------------

class BoundedIntConverter(IntegerConverter):
    """`<int:pk>` matches only ids the database integer can hold: others are a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def as_db_int(value):
    """The value as an integer id in the database range, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not re.fullmatch(r"-?\d{1,12}", text):
            return None
        number = int(text)
    return number if -INT_MAX - 1 <= number <= INT_MAX else None


def _integer_pk(datamodel) -> bool:
    if datamodel.is_pk_composite():
        return False
    column = datamodel.list_columns.get(datamodel.get_pk_name())
    return column is not None and isinstance(column.type, (Integer, BigInteger))


_original_get = SQLAInterface.get


def _get_in_range(self, id, filters=None, *args, **kwargs):
    """FAB's lookup by primary key; an id no integer row can have is simply not found."""
    if _integer_pk(self):
        id = as_db_int(id)
        if id is None:
            return None
    return _original_get(self, id, filters, *args, **kwargs)


# --- list parameters -------------------------------------------------------------------

def _crud_views() -> dict:
    """FAB CRUD views by class name and by endpoint (blueprint) name."""
    views = current_app.extensions.get("crud_views_by_name")
    if views is None:
        views = {}
        for view in current_app.appbuilder.baseviews:
            if isinstance(view, BaseCRUDView):
                views[type(view).__name__] = view
                views[view.endpoint] = view
        current_app.extensions["crud_views_by_name"] = views
    return views


def _number_arg(name: str, value: str, maximum: int, minimum: int) -> None:
    if not re.fullmatch(r"\d{1,7}", value or "") or not minimum <= int(value) <= maximum:
        label = "页码" if name.startswith("page_") else "每页条数"
        refuse(BadInput, f"{label}（参数 {name[:60]}）无效：须为 {minimum}–{maximum} 之间的整数")


def check_list_args() -> None:
    """before_request: the list parameters FAB reads from any page's query string."""
    if not request.args:
        return
    views = _crud_views()
    # an export keeps the list's order when it can and ignores one it cannot (export.py)
    check_order = not (request.endpoint or "").endswith(".export")
    for name in request.args:
        value = request.args.get(name)
        if name.startswith("page_"):
            _number_arg(name, value, MAX_PAGE, 0)
        elif name.startswith("psize_"):
            _number_arg(name, value, MAX_PAGE_SIZE, 1)
        elif name.startswith("_oc_") and check_order:
            view = views.get(name[4:])
            if view is not None and value not in (view.order_columns or []):
                refuse(BadInput, f"排序字段“{value[:40]}”无效，请点击列表的列标题排序")
        elif name.startswith("_od_") and check_order:
            if value not in ("asc", "desc"):
                refuse(BadInput, "排序方向无效（只能是 asc 或 desc）")
        else:
            match = re.fullmatch(r"_flt_(\d)_(.*)", name)
            view = views.get((request.endpoint or "").split(".")[0])
            if match and view is not None and hasattr(view, "_filters"):
                filters = view._filters.get_search_filters().get(match.group(2))
                if filters is not None and int(match.group(1)) >= len(filters):
                    refuse(BadInput, "筛选条件无效，请从列表页重新设置筛选")


# --- actions ---------------------------------------------------------------------------

def guard_actions():
    """before_request: `/<view>/action/<name>/<pk>` and `/<view>/action_post`."""
    endpoint = request.endpoint or ""
    blueprint, _, method = endpoint.partition(".")
    if method not in ("action", "action_post"):
        return None
    view = _crud_views().get(blueprint)
    if view is None:
        return None
    user = getattr(g, "user", None)
    if user is None or not user.is_authenticated:
        return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login",
                                next=request.url))
    sm = current_app.appbuilder.sm
    resource = view.class_permission_name
    if not any(sm.has_access(p, resource) for p in view.base_permissions or []):
        refuse(Forbidden, "您没有此页面的操作权限；如需开通，请联系协会系统管理员。")
    if method == "action":
        name, ids = request.view_args.get("name"), [request.view_args.get("pk")]
    else:
        name, ids = request.form.get("action"), request.form.getlist("rowid")
    action = view.actions.get(name or "")
    if action is None:
        refuse(NotFound, f"没有名为“{(name or '')[:40]}”的操作")
    if not sm.has_access(view.get_action_permission_name(name), resource):
        refuse(Forbidden, f"您没有执行“{action.text}”的权限；如需开通，请联系协会系统管理员。")
    if not ids:
        refuse(BadInput, "请先勾选要操作的记录")
    if _integer_pk(view.datamodel) and any(as_db_int(pk) is None for pk in ids):
        refuse(NotFound, "要操作的记录不存在")
    return None


# --- REST bodies -----------------------------------------------------------------------

def check_json_body() -> None:
    """before_request: a JSON body sent to the API must parse and be an object."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api/"):
        return
    if request.mimetype not in JSON_TYPES:
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        refuse(BadInput, "请求体为空：须为 JSON 对象")
    try:
        body = json.loads(raw)
    except RecursionError:
        refuse(BadInput, "请求体嵌套过深")
    except ValueError:
        refuse(BadInput, "请求体不是有效的 JSON")
    if not isinstance(body, dict):
        refuse(BadInput, "请求体须为 JSON 对象（{…}）")


def check_rison() -> None:
    """before_request: the REST `q=` argument parses (prison recurses on "(((": a 500)."""
    value = request.args.get("q")
    if not value or not request.path.startswith("/api/"):
        return
    try:
        prison.loads(value)
        return
    except prison.decoder.ParserException:  # FAB tries JSON next
        pass
    except Exception:  # noqa: BLE001 — RecursionError on "(((", ValueError on "1e": FAB 500s
        refuse(BadInput, "查询参数 q 不是有效的 Rison 或 JSON")
    try:
        json.loads(value)
    except Exception:  # noqa: BLE001
        refuse(BadInput, "查询参数 q 不是有效的 Rison 或 JSON")


# --- related rows in REST bodies ---------------------------------------------------------

def _related_existing_only(self, value, *args, **kwargs):
    """marshmallow-sqlalchemy's `Related` field: a reference to an existing row only.

    The library builds a *new* related row from an unknown reference (`{"firm": {"id":
    999}}` → `Firm(id=999)`, flushed by the next query: an IntegrityError, or a row
    nobody meant to create) and passes unknown keys to the model (TypeError). Both were
    500s; here each is the field's validation error (422, translated to Chinese)."""
    keys = [prop.key for prop in self.related_keys]
    if not isinstance(value, dict):
        if len(keys) != 1:
            raise self.make_error("invalid", value=value, keys=keys)
        value = {keys[0]: value}
    if set(value) != set(keys) or not all(
            isinstance(v, (int, str)) and not isinstance(v, bool) for v in value.values()):
        raise self.make_error("invalid", value=value, keys=keys)
    for prop in self.related_keys:  # an integer key the database cannot hold: no such row
        if isinstance(prop.columns[0].type, (Integer, BigInteger)):
            value[prop.key] = as_db_int(value[prop.key])
            if value[prop.key] is None:
                raise ValidationError("Related object doesn't exist in DB")
    try:
        return self._get_existing_instance(self.related_model, value)
    except NoResultFound:
        raise ValidationError("Related object doesn't exist in DB") from None


def install_converters(app) -> None:
    """Before any rule is added: bounded `<int:…>` arguments."""
    app.url_map.converters["int"] = BoundedIntConverter


def install(app) -> None:
    SQLAInterface.get = _get_in_range
    Related._deserialize = _related_existing_only
    app.before_request(check_json_body)
    app.before_request(check_rison)
    app.before_request(check_list_args)
    app.before_request(guard_actions)
