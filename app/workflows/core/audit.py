"""Audit log: every create, change and delete of an audited entity writes one AuditLog row.

Hooked on the SQLAlchemy session (after_flush), so no view or workflow can forget it;
the row goes in with the same transaction as the change. The actor is whoever
`acting_as` names (CLI, jobs), else the signed-in user of the request.
"""
import contextlib
import contextvars
import datetime as dt
import json
import re

from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from app import clock
from app.models import AuditLog
from app.workflows.core.bulk import insert_rows

# entity -> columns never written to the log; each domain declares its audited models
# (app/domains.py, DOMAIN.audited) and create_app registers them here
AUDITED: dict = {}
# table -> how the audit log names it (the model's `__label__`, in Chinese)
LABELS: dict = {}
# tables of FAB's own models, which cannot carry a `__label__`
_FOREIGN_LABELS = {"ab_user": "用户"}
_default_actor = None  # set by the web layer: the signed-in user of the request


def set_default_actor(provider) -> None:
    """Who changed a row when no command named an actor (FAB's generated CRUD): the web
    layer registers `provider() -> user or None` (workflows never read the request)."""
    global _default_actor
    _default_actor = provider


_actor: contextvars.ContextVar = contextvars.ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def acting_as(user):
    """Attribute changes made inside the block to `user` (a User, or a label like 'system')."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def _load_old_values(model) -> None:
    # After a commit attributes are expired: assigning one would record no "from"
    # value. active_history loads the old value before the change, so every audit
    # row has both sides.
    for attr in inspect(model).column_attrs:
        getattr(model, attr.key).impl.active_history = True


def register_audited(model, excluded: set[str] = frozenset()) -> None:
    """Later domain areas add their entities here. An audited model names itself in Chinese
    (`__label__ = "学时记录"`): the audit log shows that name, never the table's."""
    table = model.__tablename__
    label = model.__dict__.get("__label__") or _FOREIGN_LABELS.get(table)
    if not label or not re.search(r"[\u4e00-\u9fff]", label):
        raise RuntimeError(f"audited model {model.__name__} declares no Chinese __label__")
    AUDITED[model] = set(excluded)
    LABELS[table] = label
    _load_old_values(model)


def record_many(rows: list[dict], session, now) -> None:
    """Audit rows for changes made with bulk statements, which bypass the session hook.

    Each row: entity, entity_id, action, changes (dict); from_state/to_state optional.
    """
    if not rows:
        return
    user_id, username = _current_actor()
    models = {model.__tablename__: model for model in AUDITED}
    for row in rows:
        labels = (getattr(models.get(row["entity"]), "__labels__", None) or {}).get("status", {})
        for key in ("from_state", "to_state"):
            if row.get(key) is not None:
                row[key] = labels.get(row[key], row[key])
        if row.get("changes"):
            row["changes"] = _in_words(models.get(row["entity"]), dict(row["changes"]))
    insert_rows(AuditLog.__table__, [{
        "at": now,
        "user_id": user_id,
        "username": username,
        "entity": row["entity"],
        "entity_id": str(row["entity_id"]),
        "action": row["action"],
        "from_state": row.get("from_state"),
        "to_state": row.get("to_state"),
        "changes": json.dumps(row.get("changes") or {}, ensure_ascii=False, default=_plain),
    } for row in rows])


def _current_actor():
    actor = _actor.get()
    if actor is None and _default_actor is not None:
        actor = _default_actor()
    if isinstance(actor, str):
        return None, actor
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.id, actor.username
    return None, "system"


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _changes(obj, excluded, mode):
    state = inspect(obj)
    result = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in excluded:
            continue
        if mode == "create":  # a new row's values, without asking each one for its history
            value = getattr(obj, key)
            if value is not None:
                result[key] = [None, _plain(value)]
            continue
        history = state.attrs[key].history
        if mode == "delete":
            value = history.unchanged[0] if history.unchanged else (
                history.deleted[0] if history.deleted else None)
            if value is not None:
                result[key] = [_plain(value), None]
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before != after:
                result[key] = [_plain(before), _plain(after)]
    return result


def _in_words(model, changes: dict) -> dict:
    """The audit log keeps what a user read: a coded status (stored as "submitted") is
    written in its words ("已提交待北注协审核"), the model's `__labels__`."""
    for column, labels in (getattr(model, "__labels__", None) or {}).items():
        if column in changes:
            changes[column] = [labels.get(v, v) if v is not None else None
                               for v in changes[column]]
    return changes


def _entity_id(obj):
    # the identity key is not assigned yet inside after_flush; the primary key is
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session, flush_context):
    rows = []
    now = clock.now()
    user_id, username = None, None
    for mode, objects in (("create", session.new), ("update", session.dirty),
                          ("delete", session.deleted)):
        for obj in objects:
            excluded = AUDITED.get(type(obj))
            if excluded is None:
                continue
            if mode == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _in_words(type(obj), _changes(obj, excluded, mode))
            if mode == "update" and not changes:
                continue
            if username is None:
                user_id, username = _current_actor()
            status = changes.get("status")
            rows.append({
                "at": now,
                "user_id": user_id,
                "username": username,
                "entity": type(obj).__tablename__,
                "entity_id": _entity_id(obj),
                "action": mode,
                "from_state": status[0] if status else None,
                "to_state": status[1] if status else None,
                "changes": json.dumps(changes, ensure_ascii=False),
            })
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def actor_name(actor) -> str:
    """How a person reads who did something: a member's name, a firm admin's firm, a staff
    member's name, or the label a CLI or job acts under."""
    if actor is None:
        return "系统"
    if isinstance(actor, str):
        return actor
    account = getattr(actor, "account", None)
    if account is not None and account.person is not None:
        return account.person.name
    if account is not None and account.firm is not None:
        return account.firm.name
    full = f"{getattr(actor, 'first_name', '') or ''}{getattr(actor, 'last_name', '') or ''}"
    return full.strip() or getattr(actor, "username", "") or "系统"
