"""Who acts for a row: the one predicate behind every "may act" (DESIGN §3).

`__scope__` says who may *see* a row; `__actors__ = Actors(...)` (app/models/scope.py) says
who may *act* for it — file it, change it, withdraw it, accept an offer on it. Workflows,
a machine's `Who`, the buttons a page draws and the REST verbs all ask `acts_for`, so the
answer is written once:

- a firm's admin account (role FirmAdmin, an account of the firm with no person of its
  own) acts for rows whose `firm` path is its firm;
- a member acts for rows whose `person` path is its own person — only where the row has
  no firm when the declaration says `person_when_firmless` (a 协会代管 CPA files its own
  case; a firm's CPA sees a case about itself but its firm files it);
- Admin and Staff act only where the declaration says `institute=True` (they decide
  through the machine's institute transitions instead).
"""
from sqlalchemy import and_, false, or_, true

from app.models import Actors, Firm, Person
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.scoping import (
    ScopeDeclarationError, _path_condition, _resolve, account_of, is_institute, path_values,
    role_names)


def actors_of(model) -> Actors:
    actors = getattr(model, "__actors__", None)
    if not isinstance(actors, Actors):
        raise ScopeDeclarationError(
            f"模型 {model.__name__} 没有声明办理人：请在类中写 __actors__ = Actors(firm=…, person=…)")
    return actors


def check_actor_declarations(models) -> None:
    """At start-up: every `__actors__` path resolves (else stop, naming the model)."""
    for model in models:
        actors = getattr(model, "__actors__", None)
        if actors is None:
            continue
        for path in actors_of(model).paths().values():
            _resolve(model, path)


def acting_firm_id(actor) -> int | None:
    """The firm a firm's admin account acts for (None for anyone else)."""
    if is_institute(actor) or FIRM_ADMIN not in role_names(actor):
        return None
    account = account_of(actor)
    if account is None or account.person_id is not None:
        return None
    return account.firm_id


def acting_firm(actor) -> Firm | None:
    account = account_of(actor)
    return account.firm if acting_firm_id(actor) is not None else None


def acting_person_id(actor) -> int | None:
    """The person a member acts as (None for anyone else)."""
    if is_institute(actor) or MEMBER not in role_names(actor):
        return None
    account = account_of(actor)
    return account.person_id if account is not None else None


def acting_person(actor) -> Person | None:
    account = account_of(actor)
    return account.person if acting_person_id(actor) is not None else None


def acts_for(actor, row) -> bool:
    """Whether `actor` acts for `row` (a loaded row, or one about to be saved)."""
    actors = actors_of(type(row))
    if is_institute(actor):
        return actors.institute
    firm_id = acting_firm_id(actor)
    if actors.firm and firm_id is not None and firm_id in path_values(row, actors.firm):
        if not (actors.firm_when_personless and actors.person
                and path_values(row, actors.person) - {None}):
            return True
    person_id = acting_person_id(actor)
    if actors.person and person_id is not None and person_id in path_values(row, actors.person):
        return not (actors.person_when_firmless and actors.firm
                    and path_values(row, actors.firm) - {None})
    return False


def acting_condition(model, actor):
    """The SQL condition of the rows of `model` that `actor` acts for."""
    actors = actors_of(model)
    if is_institute(actor):
        return true() if actors.institute else false()
    found = []
    firm_id = acting_firm_id(actor)
    if actors.firm and firm_id is not None:
        firms = _path_condition(model, actors.firm, firm_id)
        if actors.firm_when_personless and actors.person:
            firms = and_(firms, _unset(model, actors.person, "firm_when_personless"))
        found.append(firms)
    person_id = acting_person_id(actor)
    if actors.person and person_id is not None:
        mine = _path_condition(model, actors.person, person_id)
        if actors.person_when_firmless and actors.firm:
            mine = and_(mine, _unset(model, actors.firm, "person_when_firmless"))
        found.append(mine)
    return or_(*found) if found else false()


def _unset(model, path: str, option: str):
    hops, column = _resolve(model, path)
    if hops:
        raise ScopeDeclarationError(f"{model.__name__}.__actors__：{option} 须配合本表的列使用")
    return column.is_(None)


def require_acting(actor, row, message: str = "您无权办理此事项") -> None:
    """Refuse an actor who does not act for `row` (a ForbiddenError with `message`)."""
    if not acts_for(actor, row):
        raise ForbiddenError(message)
