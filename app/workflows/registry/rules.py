"""Firms and persons: the rules their CRUD enforces, whichever door (UI, REST, CLI) it comes through."""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Account, Firm, FirmStatus, Gender, Person, PersonStatus, PersonType
from app.workflows.accounts import provision_firm_admin
from app.workflows.accounts.sessions import end_sessions
from app.workflows.core import standing
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.labels import code_of
from app.workflows.core.identifiers import (
    birth_date_from_id,
    gender_from_id,
    clean_name,
    validate_cert_number,
    validate_firm_code,
    validate_id_number,
    validate_mobile,
)


PERSON_TAKEN = "{label}“{value}”已被登记，请核对；如有疑问请联系协会"


def _unique(model, column: str, value, item, label: str, message: str = "{label}“{value}”已存在"
            ) -> None:
    if value in (None, ""):
        return
    stmt = select(model.id).where(getattr(model, column) == value)
    if item.id is not None:
        stmt = stmt.where(model.id != item.id)
    # no autoflush: the item's own pending change would be written (and violate the
    # unique index, a 500) before the check could refuse it
    with db.session.no_autoflush:
        taken = db.session.execute(stmt.limit(1)).first() is not None
    if taken:
        raise ValidationError(message.format(label=label, value=value), column)


def clean_firm(firm: Firm, *, creating: bool) -> None:
    """Normalise and check a firm before it is saved: every mistake at once."""
    problems = Problems()
    with problems.field("code"):
        firm.code = validate_firm_code(firm.code)
    firm.name = clean_name(firm.name)
    if not firm.name:
        problems.add("name", "请填写事务所名称")
    firm.contact_name = clean_name(firm.contact_name) or None
    firm.email = (firm.email or "").strip() or None
    with problems.field("contact_phone"):
        firm.contact_phone = (
            validate_mobile(firm.contact_phone, "联系人手机号") if firm.contact_phone else None
        )
    firm.status = firm.status or FirmStatus.ACTIVE
    firm.status = code_of(FirmStatus.LABELS, firm.status)  # the words as before, or the code
    if firm.status not in FirmStatus.ALL:  # a value the form offers, not a state rule
        problems.add("status", "事务所状态只能是：" + "、".join(FirmStatus.LABELS.values()))
    with problems.field():
        _unique(Firm, "code", firm.code, firm, "事务所编号")
    with problems.field():
        _unique(Firm, "name", firm.name, firm, "事务所名称")
    problems.raise_any()


def on_firm_created(firm: Firm, now: dt.datetime) -> None:
    """Creating a firm creates its admin account P+code, in the same transaction."""
    if firm.created_at is None:
        firm.created_at = now
    provision_firm_admin(firm, now)


def check_firm_deletable(firm: Firm) -> None:
    stmt = select(Person.id).where(Person.firm_id == firm.id).limit(1)
    if db.session.execute(stmt).first() is not None:
        raise ValidationError(f"事务所“{firm.name}”下还有人员，不能删除；可将其状态改为注销")


def delete_firm_accounts(firm: Firm) -> None:
    """The firm's admin account goes with the firm."""
    for account in db.session.query(Account).filter_by(firm_id=firm.id, person_id=None):
        db.session.delete(account.user)


def clean_person(person: Person, now: dt.datetime) -> None:
    """Normalise and check a person; derive birth date and gender from the 身份证号. Every
    mistake is told at once."""
    problems = Problems()
    person.name = clean_name(person.name)
    if not person.name:
        problems.add("name", "请填写姓名")
    person.person_type = person.person_type or PersonType.OTHER
    if person.person_type not in PersonType.ALL:
        problems.add("person_type", "人员类型只能是：" + "、".join(PersonType.ALL))
    person.status = person.status or PersonStatus.ACTIVE
    person.status = code_of(PersonStatus.LABELS, person.status)
    if person.status not in PersonStatus.ALL:  # a value the form offers, not a state rule
        problems.add("status", "状态只能是：" + "、".join(PersonStatus.LABELS.values()))
    person.gender = person.gender or None
    if person.gender and person.gender not in Gender.ALL:
        problems.add("gender", "性别只能是：男、女")
    if person.id_number:
        with problems.field("id_number"):
            person.id_number = validate_id_number(person.id_number)
            person.birth_date = person.birth_date or birth_date_from_id(person.id_number)
            person.gender = person.gender or gender_from_id(person.id_number)
    else:
        person.id_number = None
    with problems.field("phone"):
        person.phone = validate_mobile(person.phone) if person.phone else None
    with problems.field("cert_number"):
        person.cert_number = (validate_cert_number(person.cert_number)
                              if person.cert_number else None)
    if person.person_type == PersonType.CPA and not person.cert_number:
        problems.add("cert_number", "注册会计师须填写证书编号")
    for column in ("ethnicity", "position"):
        setattr(person, column, clean_name(getattr(person, column)) or None)
    if not problems:
        # a clash may be with a person of another firm: say that the value is taken, never
        # whose (checked on valid values only)
        for column, label in (("id_number", "身份证号"), ("phone", "手机号"),
                              ("cert_number", "证书编号")):
            with problems.field():
                _unique(Person, column, getattr(person, column), person, label, PERSON_TAKEN)
    problems.raise_any()
    if person.created_at is None:
        person.created_at = now
    account = getattr(person, "account", None)
    if account is not None and account.user is not None:
        # 撤销: the account can no longer sign in; its data stay (seed 000 §3); its sessions
        # end (a later 恢复 does not bring them back)
        active = standing.active(person)
        if account.user.active and not active:
            end_sessions(account.user)
        account.user.active = active


def check_person_deletable(person: Person) -> None:
    if getattr(person, "account", None) is not None:
        raise ValidationError(f"“{person.name}”已有登录账号，不能删除；可将状态改为撤销")
