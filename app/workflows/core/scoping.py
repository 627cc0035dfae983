"""Row scoping: which rows a user may see and write. The one mechanism, bound to a user.

Policy:
- Admin and Staff (the institute) see every row.
- A FirmAdmin sees the rows whose firm column (the model's ``__firm_column__``) is its firm.
- A Member sees the rows whose person column (``__person_column__``) is its own person.
- Anyone else, and any model that declares neither column, sees nothing.

Views apply `scope_condition` as a base filter on every query (list, show, edit,
delete, actions, export, REST, downloads) and `enforce_owner` on submitted data.
"""
from sqlalchemy import false, inspect, true

from app.models import Account
from app.roles import ADMIN, FIRM_ADMIN, MEMBER, STAFF
from app.workflows.core.errors import ForbiddenError


class SystemActor:
    """The actor of command-line tools and scheduled jobs: acts for the institute."""

    is_authenticated = True
    id = None
    username = "system"
    account = None

    def __init__(self, label: str = "system"):
        self.username = label
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


def scope_condition(model, user):
    """A SQL condition on `model` restricting it to the rows `user` may see."""
    roles = role_names(user)
    if roles & {ADMIN, STAFF}:
        return true()
    account = account_of(user)
    if account is None:
        return false()
    firm_column = getattr(model, "__firm_column__", None)
    person_column = getattr(model, "__person_column__", None)
    if FIRM_ADMIN in roles and account.firm_id is not None and firm_column:
        return getattr(model, firm_column) == account.firm_id
    if MEMBER in roles and account.person_id is not None and person_column:
        return getattr(model, person_column) == account.person_id
    return false()


def _column_value(item, column: str):
    """The value a row's scoping column will have once flushed.

    A form or a REST payload may have assigned the relationship (``firm``) rather
    than the key (``firm_id``); the key is stale until flush, so look at the
    relationship's pending change first.
    """
    if column.endswith("_id"):
        relation = column[: -len("_id")]
        state = inspect(item)
        if relation in state.mapper.relationships:
            history = state.attrs[relation].history
            if history.added or history.deleted:
                target = history.added[0] if history.added else None
                return None if target is None else target.id
    return getattr(item, column)


def can_see(item, user) -> bool:
    """Whether one loaded row is visible to `user` (same policy as scope_condition)."""
    roles = role_names(user)
    if roles & {ADMIN, STAFF}:
        return True
    account = account_of(user)
    if account is None:
        return False
    model = type(item)
    firm_column = getattr(model, "__firm_column__", None)
    person_column = getattr(model, "__person_column__", None)
    if FIRM_ADMIN in roles and account.firm_id is not None and firm_column:
        return _column_value(item, firm_column) == account.firm_id
    if MEMBER in roles and account.person_id is not None and person_column:
        return _column_value(item, person_column) == account.person_id
    return False


def enforce_owner(item, user) -> None:
    """Refuse submitted data that would put a row outside the actor's scope.

    A firm admin's new rows are stamped with its own firm; a row it names with
    another firm, or moves to another firm, is refused.
    """
    if is_institute(user):
        return
    model = type(item)
    firm_column = getattr(model, "__firm_column__", None)
    account = account_of(user)
    if account is None:
        raise ForbiddenError("无权操作此数据")
    if FIRM_ADMIN in role_names(user) and firm_column and firm_column != "id":
        if _column_value(item, firm_column) is None:
            setattr(item, firm_column, account.firm_id)
            relation = firm_column[: -len("_id")] if firm_column.endswith("_id") else None
            if relation and hasattr(item, relation):
                setattr(item, relation, account.firm)
    if not can_see(item, user):
        raise ForbiddenError("不能将数据写入或移到其他事务所")
