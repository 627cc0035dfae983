"""Row scoping: which rows a user may see and write. One policy, declared on each model.

Every model declares `__scope__ = Scope(...)` (app/models/scope.py). From that one
declaration `grants(model, user)` lists the ways the user may reach a row — "the row's
firm path equals my firm", "its person path equals my person", "its user path is me" —
and both the SQL condition (`scope_condition`, applied to every query the views make)
and the one-row check (`can_see`, for a row in hand, even one not yet flushed) are built
from that same list, so the two can never disagree.

Policy:
- Admin and Staff (the institute) see every row, unless the scope says `institute=False`.
- A FirmAdmin reaches rows through the `firm` path, a Member through the `person` path,
  an accounting institute's LMS account (Institute) through the `provider` path;
  any signed-in user reaches rows whose `user` path is its own account.
- `Scope.public_read()` rows are visible to every signed-in user.
- Anyone else, and any path the user has no value for, reaches nothing.

Workflows load rows through `get_scoped` / `scoped_select` (as Superset's DAO applies its
base filter inside find_by_id): a command only ever holds rows its actor may see.
"""
import dataclasses

from sqlalchemy import false, inspect, or_, select, true

from app.models import Account, Scope
from app.roles import ADMIN, FIRM_ADMIN, INSTITUTE, MEMBER, STAFF
from app.workflows.core.errors import ForbiddenError, NotFoundError
from app.workflows.core.sql import inline


class SystemActor:
    """The actor of command-line tools and scheduled jobs: acts for the institute."""

    is_authenticated = True
    id = None
    username = "system"
    account = None
    first_name = "系统"

    def __init__(self, label: str = "system"):
        self.username = label
        self.first_name = label
        self.roles = [type("Role", (), {"name": ADMIN})()]


def role_names(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {role.name for role in (user.roles or [])}


def is_institute(user) -> bool:
    """Admin and Staff act for the institute and see all firms."""
    return bool(role_names(user) & {ADMIN, STAFF})


def account_of(user) -> Account | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "account", None)


def person_id_of(user) -> int | None:
    """The person a signed-in member acts as (None for staff, firm admins, nobody)."""
    account = account_of(user)
    return account.person_id if account is not None else None


# --- declarations --------------------------------------------------------------------------

class ScopeDeclarationError(RuntimeError):
    """A model without a scope, or with a path that does not resolve."""


def scope_of(model) -> Scope:
    scope = model.__dict__.get("__scope__") or getattr(model, "__scope__", None)
    if not isinstance(scope, Scope):
        raise ScopeDeclarationError(
            f"模型 {model.__name__}（表 {getattr(model, '__tablename__', '?')}）没有声明行范围："
            f"请在类中写 __scope__ = Scope(firm=…, person=…) 或 Scope.institute_only() / "
            f"Scope.public_read()")
    return scope


def _resolve(model, path: str):
    """[(relationship attribute, uselist), …] and the final column attribute of a path."""
    hops, current = [], model
    parts = path.split(".")
    for name in parts[:-1]:
        mapper = inspect(current)
        if name not in mapper.relationships:
            raise ScopeDeclarationError(f"{model.__name__}.__scope__：路径“{path}”中的“{name}”"
                                        f"不是 {current.__name__} 的关系")
        relation = mapper.relationships[name]
        hops.append((getattr(current, name), relation.uselist))
        current = relation.mapper.class_
    column = parts[-1]
    if column not in inspect(current).column_attrs:
        raise ScopeDeclarationError(f"{model.__name__}.__scope__：路径“{path}”中的“{column}”"
                                    f"不是 {current.__name__} 的列")
    return hops, getattr(current, column)


def check_declarations(models) -> None:
    """At start-up: every model declares a scope whose paths resolve; else stop, naming it."""
    for model in models:
        scope = scope_of(model)
        for path in scope.paths().values():
            _resolve(model, path)


def app_models(registry) -> list:
    """The mapped classes of this application (FAB's own ab_* models excluded)."""
    return sorted((m.class_ for m in registry.mappers if m.class_.__module__.startswith("app.")),
                  key=lambda c: c.__name__)


# --- the one policy ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Grant:
    """The user reaches rows whose `path` equals `value` (path None: every row)."""

    path: str | None
    value: object = None


ALL_ROWS = (Grant(None),)


def grants(model, user) -> tuple[Grant, ...]:
    """Every way `user` may reach rows of `model` (empty: none)."""
    scope = scope_of(model)
    roles = role_names(user)
    if not roles:
        return ()
    if scope.public or (scope.institute and roles & {ADMIN, STAFF}):
        return ALL_ROWS
    found = []
    account = account_of(user)
    if scope.firm and FIRM_ADMIN in roles and account is not None and account.firm_id:
        found.append(Grant(scope.firm, account.firm_id))
    if scope.person and MEMBER in roles and account is not None and account.person_id:
        found.append(Grant(scope.person, account.person_id))
    if scope.user and getattr(user, "id", None) is not None:
        found.append(Grant(scope.user, user.id))
    if (scope.provider and INSTITUTE in roles and account is not None
            and account.learning_institute_id):
        found.append(Grant(scope.provider, account.learning_institute_id))
    return tuple(found)


def _path_condition(model, path: str, value):
    hops, column = _resolve(model, path)
    # a firm's or person's id is written into the SQL: PostgreSQL plans each firm's query
    # for that firm's size, once (app/workflows/core/sql.py)
    condition = column == (inline(value) if type(value) is int else value)
    for attribute, uselist in reversed(hops):
        condition = attribute.any(condition) if uselist else attribute.has(condition)
    return condition


def scope_condition(model, user):
    """A SQL condition on `model` restricting it to the rows `user` may see."""
    found = grants(model, user)
    if not found:
        return false()
    if any(g.path is None for g in found):
        return true()
    return or_(*[_path_condition(model, g.path, g.value) for g in found])


def _pending_key(item, name: str):
    """`firm_id` of an item whose relationship `firm` was assigned but not flushed yet."""
    if not name.endswith("_id"):
        return None, False
    relation = name[: -len("_id")]
    state = inspect(item)
    if relation in state.mapper.relationships:
        history = state.attrs[relation].history
        if history.added or history.deleted:
            target = history.added[0] if history.added else None
            return (None if target is None else target.id), True
    return None, False


def path_values(item, path: str) -> set:
    """The value(s) a path has on one row (several through a one-to-many hop)."""
    parts = path.split(".")
    current = [item]
    for name in parts[:-1]:
        following = []
        for obj in current:
            value = getattr(obj, name, None)
            if value is None:
                continue
            following.extend(value if isinstance(value, (list, tuple, set)) else [value])
        current = following
    values = set()
    for obj in current:
        pending, assigned = _pending_key(obj, parts[-1])
        values.add(pending if assigned else getattr(obj, parts[-1], None))
    return values


def can_see(item, user) -> bool:
    """Whether one row (loaded or about to be saved) is visible to `user`."""
    found = grants(type(item), user)
    return any(g.path is None or g.value in path_values(item, g.path) for g in found)


def enforce_owner(item, user) -> None:
    """Refuse submitted data that would put a row outside the actor's scope.

    A firm admin's new rows are stamped with its own firm, a member's with its own person
    (where the path is a column of the row itself); a row naming or moved to someone else
    is refused. Rows reached through a parent must name a parent the actor may see.
    """
    if is_institute(user):
        return
    account = account_of(user)
    if account is None:
        raise ForbiddenError("无权操作此数据")
    scope = scope_of(type(item))
    roles = role_names(user)
    stamps = []
    if FIRM_ADMIN in roles and scope.firm and account.firm_id:
        stamps.append((scope.firm, account.firm_id, account.firm))
    if MEMBER in roles and scope.person and account.person_id:
        stamps.append((scope.person, account.person_id, account.person))
    for path, value, obj in stamps:
        if "." in path or path == "id":
            continue
        if path_values(item, path) <= {None}:
            setattr(item, path, value)
            relation = path[: -len("_id")] if path.endswith("_id") else None
            if relation and relation in inspect(type(item)).relationships:
                setattr(item, relation, obj)
    if not can_see(item, user):
        raise ForbiddenError("不能将数据写入或移到其他事务所" if FIRM_ADMIN in roles
                             else "不能将数据写入他人名下")


# --- the scoped lookup ------------------------------------------------------------------------

def scoped_select(model, user):
    """SELECT of the rows of `model` that `user` may see."""
    return select(model).where(scope_condition(model, user))


def get_scoped(session, model, pk, user, message: str | None = None):
    """The row `pk` of `model` if `user` may see it, else NotFoundError (never say which)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise NotFoundError(message or "记录不存在") from None
    if not -2**31 < key < 2**31:  # a PostgreSQL integer; larger ids exist nowhere
        raise NotFoundError(message or "记录不存在")
    primary = inspect(model).primary_key[0]
    row = session.scalars(scoped_select(model, user).where(primary == key)).first()
    if row is None:
        raise NotFoundError(message or "记录不存在")
    return row
