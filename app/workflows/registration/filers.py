"""Who may file a new 注册业务 case — before there is a row to ask `acts_for` about.

The rows themselves say who acts for them (`RegistrationCase.__actors__`: the firm files for
its CPAs, a 协会代管 CPA without a firm files for itself) and the machines ask the core
(app/workflows/core/acting.py). Here that one rule is read for a case not yet saved: a
firm's admin account files as its firm; a member whose person has no firm files as itself;
staff and a firm's CPAs do not file (each is told why). Also the CLI's 开通协会代管账号.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Person, PersonStatus, PersonType
from app.workflows import accounts
from app.workflows.core.acting import acting_firm_id, acting_person
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.scoping import is_institute

FIRM, MANAGED = "firm", "managed"


def managed_person(actor) -> Person | None:
    """The person of a 协会代管注册会计师 signed in as itself (a member without a firm)."""
    person = acting_person(actor)
    return person if person is not None and person.firm_id is None else None


def filer_kind(actor) -> str | None:
    """"firm", "managed" or None (staff, firm members: they do not file)."""
    if acting_firm_id(actor) is not None:
        return FIRM
    return MANAGED if managed_person(actor) is not None else None


def files_cases(actor) -> bool:
    """Whether 业务办理 (filing a new case) is for `actor`: a firm's admin or a 协会代管 CPA."""
    return filer_kind(actor) is not None


def concerns(actor) -> bool:
    """Whether 注册业务 applies to `actor` at all: staff, a filer, or a firm's 注册会计师
    (whose cases its firm files, shown in 办理记录) — never a 非执业会员 or 其他从业人员."""
    if is_institute(actor) or files_cases(actor):
        return True
    person = acting_person(actor)
    return person is not None and person.person_type == PersonType.CPA


def require_filer(actor) -> str:
    kind = filer_kind(actor)
    if kind is None:
        if is_institute(actor):
            raise ForbiddenError("业务办理由会计师事务所或协会代管注册会计师提交，协会工作人员负责审核")
        raise ForbiddenError("您所在事务所的注册业务请由事务所账号办理")
    return kind


@command
def open_managed_accounts(actor, now) -> int:
    """Open sign-ins for 协会代管注册会计师 without one (login 证书编号, password 身份证号)."""
    people = db.session.scalars(select(Person).where(
        Person.firm_id.is_(None), Person.person_type == PersonType.CPA,
        Person.status == PersonStatus.ACTIVE, Person.cert_number.is_not(None),
        Person.id_number.is_not(None),
        ~select(Account.user_id).where(Account.person_id == Person.id).exists())).all()
    for person in people:
        accounts.provision_managed_cpa(person, now)
    return len(people)
