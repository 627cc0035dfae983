"""学员名单 (seed 000 §6.2.2–§6.2.3): the people a class trained. Entries are added only until
15 days after the class ends (「培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。」);
no person twice in a class; hours ≤ the class's hours; the firm edits and deletes an entry
until it is reviewed; staff approve it only after the class ended (_class_ended) and once
the class itself is approved.

Approving an entry credits the person's hours through the ledger (source inhouse_roster,
the entry's id); rejecting it later, or deleting it, withdraws exactly that credit."""
import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import (Acquisition, EntryStatus, InhouseClass, InhouseRosterEntry, Person,
                        SourceKind)
from app.workflows.core.commands import command
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.identifiers import clean_name, validate_cert_number, validate_id_number
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.core.states import Guard, Machine, P, T, institute
from app.workflows.hours import ledger
from app.workflows.inhouse.classes import CLASS, load_class
from app.workflows.inhouse.common import (NO, YES, decide, firm_admin_who, parse_class_hours,
                                          remark_text, require_firm_of, required, tell_firm,
                                          today)

ROSTER_DAYS = 15
LATE_ROSTER = "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。"
UNKNOWN_CERT = "证书编号不存在"
MISMATCH = "证书编号与身份证号或姓名不匹配"
DUPLICATE = "重复导入"
NOT_REGISTERED = "身份证号不在本所人员名单中（请先在“从业人员管理”中导入该人员）"
ID_NAME_MISMATCH = "身份证号与姓名不匹配"
CLASS_NOT_APPROVED = "所属培训班尚未审核通过，请先审核培训班"
NOT_ENDED = "培训班“{name}”于{end}结束，{after}起才能审核通过其学员"


def _class_approved(entry, actor, now):
    if not CLASS.permits(entry.inhouse_class, "approve_entries", actor, now):
        return CLASS_NOT_APPROVED
    return None


def _class_ended(entry, actor, now):
    """「培训通过人员名单」 (seed 000 §6): reported maybe before the class, approved after it."""
    end = entry.inhouse_class.end_date
    if today(now) <= end:
        return NOT_ENDED.format(name=entry.inhouse_class.name, end=end,
                                after=end + dt.timedelta(days=1))
    return None


ENTRY = Machine("inhouse_roster_entry", InhouseRosterEntry, [
    T("approve", EntryStatus.ENROLLED, EntryStatus.APPROVED, "审核通过", who=institute,
      guards=[Guard("class_approved", _class_approved), Guard("class_ended", _class_ended)]),
    T("reject", (EntryStatus.ENROLLED, EntryStatus.APPROVED), EntryStatus.REJECTED, "审核未通过",
      who=institute, remark=True),
], permits=[
    P("edit", EntryStatus.ENROLLED, "修改", who=firm_admin_who),
    P("delete", EntryStatus.ENROLLED, "删除", who=firm_admin_who),
    # staff may delete any entry (its credit is withdrawn with it)
    P("delete", EntryStatus.ALL, "删除", who=institute),
])


def roster_open(item: InhouseClass, now) -> str | None:
    """None while rosters may be uploaded, else the manual's refusal."""
    if today(now) > item.end_date + dt.timedelta(days=ROSTER_DAYS):
        return LATE_ROSTER
    return None


@dataclasses.dataclass
class EntryInput:
    is_cpa: object = YES
    cert_number: str = ""
    name: str = ""
    id_number: str = ""
    level: str = ""
    acquisition: str = Acquisition.IN_HOUSE
    hours: object = None


@dataclasses.dataclass
class Resolved:
    person: Person | None
    problem: str | None = None  # the manual's category (or another message)
    field: str | None = None


def resolve_person(is_cpa: bool, cert_number, name, id_number, firm_id: int,
                   by_cert: dict | None = None, by_id: dict | None = None) -> Resolved:
    """Who a roster line names, among the firm's own people (an in-house class trains the
    firm's staff; looking wider would let a firm read another firm's people's names and
    身份证号 off its roster): 是 → the firm's CPA of that cert number (name and, when given,
    身份证号 must match); 否 → the firm's registered person of that 身份证号."""
    if is_cpa:
        person = (by_cert.get(cert_number) if by_cert is not None else db.session.scalars(
            select(Person).where(Person.cert_number == cert_number,
                                 Person.firm_id == firm_id)).first())
        if person is None:
            return Resolved(None, UNKNOWN_CERT, "cert_number")
        if (name and person.name != name) or (id_number and person.id_number != id_number):
            return Resolved(None, MISMATCH, "cert_number")
        return Resolved(person)
    person = (by_id.get(id_number) if by_id is not None else db.session.scalars(
        select(Person).where(Person.id_number == id_number,
                             Person.firm_id == firm_id)).first())
    if person is None:
        return Resolved(None, NOT_REGISTERED, "id_number")
    if person.name != name:
        return Resolved(None, ID_NAME_MISMATCH, "name")
    return Resolved(person)


def _yes_no(value) -> bool:
    if value in (True, YES, "1", "true", "on", "y"):
        return True
    if value in (False, NO, "0", "false", "", None, "n"):
        return False
    raise ValidationError("是否注师只能填写：是、否", "is_cpa")


def _text(value) -> str | None:
    return str(value or "").strip() if isinstance(value, (str, int)) else None


def clean_entry(item: InhouseClass, data: EntryInput) -> dict:
    """The checked values of an entry form, or every mistake of the form at once; then the
    person it names among the firm's own (or the one reason it names nobody)."""
    cert, id_text = _text(data.cert_number), _text(data.id_number)
    if cert is None or id_text is None:
        raise ValidationError("证书编号、身份证号须为文本", "cert_number")
    problems = Problems()
    is_cpa = None
    with problems.field("is_cpa"):
        is_cpa = _yes_no(data.is_cpa)
    if is_cpa is True:
        if not cert:
            problems.add("cert_number", "是否注师为“是”时，证书编号必填")
        else:
            with problems.field("cert_number"):
                cert = validate_cert_number(cert)
    elif is_cpa is False:
        if cert:
            problems.add("cert_number", "是否注师为“否”时，不能填写证书编号")
        elif not id_text:
            problems.add("id_number", "是否注师为“否”时，身份证号必填")
    id_number = None
    if id_text:
        with problems.field("id_number"):
            id_number = validate_id_number(id_text)
    name = clean_name(data.name) if isinstance(data.name, str) else ""
    if is_cpa is False and not name:
        problems.add("name", "请填写姓名")
    elif len(name) > 64:
        problems.add("name", "姓名过长（最多64个字）")
    level = None
    with problems.field("level"):
        level = required(data.level, "level", "级别", 32)
    acquisition = data.acquisition or Acquisition.IN_HOUSE
    if acquisition not in Acquisition.ALL:
        problems.add("acquisition", f"学时获得方式只能为{'、'.join(Acquisition.ALL)}")
    hours = item.hours
    with problems.field("hours"):
        if data.hours not in (None, ""):
            hours = parse_class_hours(data.hours, label="获得学时")
        if Decimal(hours) > Decimal(item.hours):
            raise ValidationError(f"获得学时不能超过本培训班的学时（{Decimal(item.hours):.1f}）",
                                  "hours")
    problems.raise_any()
    resolved = resolve_person(is_cpa, cert, name, id_number, item.firm_id)
    if resolved.person is None:
        raise ValidationError(resolved.problem, resolved.field)
    person = resolved.person
    return dict(is_cpa=is_cpa, cert_number=cert or None, name=person.name,
                id_number=person.id_number or id_number, level=level, acquisition=acquisition,
                hours=Decimal(hours), person_id=person.id, person_key=f"P{person.id}")


def _not_twice(item: InhouseClass, person_key: str, entry_id=None) -> None:
    query = select(InhouseRosterEntry.id).where(InhouseRosterEntry.class_id == item.id,
                                                InhouseRosterEntry.person_key == person_key)
    if entry_id is not None:
        query = query.where(InhouseRosterEntry.id != entry_id)
    if db.session.scalars(query).first() is not None:
        raise ValidationError("该学员已在本培训班名单中，名单数据不能重复录入", "name")


@command
def add_entry(actor, now, class_id, data: EntryInput) -> InhouseRosterEntry:
    """单个上报: one person by form."""
    item = load_class(actor, class_id)
    require_firm_of(actor, item)
    refused = roster_open(item, now)
    if refused:
        raise ValidationError(refused, "class")
    values = clean_entry(item, data)
    _not_twice(item, values["person_key"])
    entry = InhouseRosterEntry(class_id=item.id, status=EntryStatus.ENROLLED, created_at=now,
                               created_by_id=getattr(actor, "id", None), **values)
    db.session.add(entry)
    db.session.flush()
    return entry


def load_entry(actor, pk) -> InhouseRosterEntry:
    return get_scoped(db.session, InhouseRosterEntry, pk, actor, "名单记录不存在")


@command
def update_entry(actor, now, pk, data: EntryInput) -> InhouseRosterEntry:
    entry = load_entry(actor, pk)
    require_firm_of(actor, entry)
    ENTRY.require(entry, "edit", actor, now)
    values = clean_entry(entry.inhouse_class, data)
    _not_twice(entry.inhouse_class, values["person_key"], entry.id)
    for key, value in values.items():
        setattr(entry, key, value)
    return entry


@command
def delete_entry(actor, now, pk) -> None:
    """The firm deletes an entry until it is reviewed; staff may delete any (its credit is
    withdrawn with it)."""
    entry = load_entry(actor, pk)
    if not is_institute(actor):
        require_firm_of(actor, entry)
    ENTRY.require(entry, "delete", actor, now)
    ledger.withdraw(actor, now, SourceKind.INHOUSE_ROSTER, entry.id)
    db.session.delete(entry)


def drop_roster(item: InhouseClass, actor, now) -> None:
    """A class is being deleted (classes.CLASS_REMOVED): its entries go, each credit with it."""
    for entry in db.session.scalars(select(InhouseRosterEntry).where(
            InhouseRosterEntry.class_id == item.id)):
        ledger.withdraw(actor, now, SourceKind.INHOUSE_ROSTER, entry.id)
        db.session.delete(entry)


def credit_entry(actor, now, entry: InhouseRosterEntry) -> None:
    item = entry.inhouse_class
    if entry.person_id is None:
        raise ValidationError(f"{entry.name}不在人员库中，无法计入学时", "person")
    ledger.credit(actor, now, source_kind=SourceKind.INHOUSE_ROSTER, source_id=entry.id,
                  person_id=entry.person_id, year=item.year, title=item.name,
                  category=item.category, delivery=entry.acquisition, hours=entry.hours,
                  obtained_at=item.end_date)


@command
def approve_entry(actor, now, pk, remark=None, notify_firm=True, expected_version=None):
    entry = decide(ENTRY, InhouseRosterEntry, "名单记录", actor, now, pk, "approve",
                   remark_text(remark), expected_version)
    credit_entry(actor, now, entry)
    if notify_firm:
        item = entry.inhouse_class
        tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员审核通过",
                  f"培训班“{item.name}”的学员{entry.name}审核通过，已计入"
                  f"{Decimal(entry.hours):.1f}学时。", now)
    return entry


@command
def reject_entry(actor, now, pk, remark=None, notify_firm=True, expected_version=None):
    entry = decide(ENTRY, InhouseRosterEntry, "名单记录", actor, now, pk, "reject",
                   remark_text(remark), expected_version)
    ledger.withdraw(actor, now, SourceKind.INHOUSE_ROSTER, entry.id)
    if notify_firm:
        item = entry.inhouse_class
        tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员审核未通过",
                  f"培训班“{item.name}”的学员{entry.name}审核未通过，原因：{entry.remark}。", now)
    return entry
