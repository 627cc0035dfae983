"""事务所内部培训 rules (seed 000 §6, DESIGN §3): qualification, classes, roster entries and
the institute's review. Every command takes the acting user and the current time.

- A firm reports classes for a year only with an approved 内培资格 for that year.
- A class is reported at least 7 days before it starts (「培训班需在开班前至少提前一周上报，逾期则
  无法上报。」); it is one category (专业课 / 职业道德 / 思政), never mixed; editable and
  deletable until reviewed (a rejected class is corrected and goes back to 未审核).
- Roster entries are added only until 15 days after the class ends (「培训通过人员名单的导入需在
  培训结束后15天内完成，否则无法导入。」); no person twice in a class; hours ≤ the class's hours;
  editable and deletable until reviewed; approved only after the class ended (_class_ended).
- Approving an entry credits the person's hours through the ledger (source inhouse_roster,
  the entry's id); rejecting it later, or deleting it, withdraws exactly that credit.
"""
import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (Acquisition, Category, EntryStatus, Firm, InhouseClass,
                        InhouseQualification, InhouseRosterEntry, Person, ReviewStatus,
                        SourceKind)
from app.roles import FIRM_ADMIN
from app.workflows.core import files
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.identifiers import (clean_name, validate_cert_number,
                                            validate_id_number)
from app.workflows.core.scoping import account_of, get_scoped, is_institute, role_names
from app.workflows.core.states import Guard, Machine, T, institute, not_institute
from app.workflows.hours import ledger
from app.workflows.messages import notify, recipients
from app.workflows.core.labels import label

REPORT_DAYS = 7
ROSTER_DAYS = 15
LATE_CLASS = "培训班需在开班前至少提前一周上报，逾期则无法上报。"
LATE_ROSTER = "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。"
UNKNOWN_CERT = "证书编号不存在"
MISMATCH = "证书编号与身份证号或姓名不匹配"
DUPLICATE = "重复导入"
NOT_REGISTERED = "身份证号不在本所人员名单中（请先在“从业人员管理”中导入该人员）"
ID_NAME_MISMATCH = "身份证号与姓名不匹配"
CATEGORY_LABELS = {Category.PROFESSIONAL: "专业", Category.ETHICS: "职业道德",
                   Category.SIZHENG: "思政"}
YES, NO = "是", "否"
MAX_HOURS = Decimal("999.9")

OWNER_QUALIFICATION = "inhouse_qualification"
OWNER_REPORT = "inhouse_report"
SCAN = files.doc_type("inhouse_qual_scan", "内培资格申请表盖章版扫描件", ("png", "jpg", "pdf"),
                      max_mb=10)
WORD = files.doc_type("inhouse_qual_word", "内培资格申请表Word版", ("doc", "docx"), max_mb=10)
POLICY = files.doc_type("inhouse_qual_policy", "培训制度", ("doc", "docx", "pdf"), max_mb=10)
PLAN = files.doc_type("inhouse_qual_plan", "培训计划", ("doc", "docx", "xls", "xlsx"), max_mb=10)
ATTACHMENTS = (SCAN, WORD, POLICY, PLAN)
REPORT = files.doc_type("inhouse_year_report", "年终总结报告", ("doc", "docx", "pdf"), max_mb=10)


def _firm_reads(model):
    def can_read(actor, owner_id) -> bool:
        account = account_of(actor)
        row = db.session.get(model, owner_id)
        return bool(row is not None and account is not None and account.person_id is None
                    and account.firm_id == row.firm_id)
    return can_read


# --- who -------------------------------------------------------------------------------------

def firm_of(actor) -> Firm:
    """The firm a firm admin acts for (only firm admins report in-house training)."""
    account = account_of(actor)
    if (is_institute(actor) or FIRM_ADMIN not in role_names(actor) or account is None
            or account.firm is None or account.person_id is not None):
        raise ForbiddenError("只有事务所管理员可以办理事务所内部培训事项")
    return account.firm


firm_admin = recipients.firm_admin  # the one recipients helper (app/workflows/messages)


def _tell_firm(firm_id: int, title: str, body: str, now) -> None:
    """A decision on what the firm filed tells the firm's administrator (the filer)."""
    notify(recipients.decision_recipients(firm_id=firm_id), title, body, now)


def today(now: dt.datetime) -> dt.date:
    return clock.local_today(now)


# --- machines --------------------------------------------------------------------------------

def _class_approved(entry, actor, now):
    if entry.inhouse_class.status != ReviewStatus.APPROVED:
        return "所属培训班尚未审核通过，请先审核培训班"
    return None


NOT_ENDED = "培训班“{name}”于{end}结束，{after}起才能审核通过其学员"


def _class_ended(entry, actor, now):
    """「培训通过人员名单」 (seed 000 §6): reported maybe before the class, approved after it."""
    end = entry.inhouse_class.end_date
    if today(now) <= end:
        return NOT_ENDED.format(name=entry.inhouse_class.name, end=end,
                                after=end + dt.timedelta(days=1))
    return None


QUALIFICATION = Machine("inhouse_qualification", InhouseQualification, [
    T("approve", ReviewStatus.PENDING, ReviewStatus.APPROVED, "审核通过", who=institute),
    T("reject", ReviewStatus.PENDING, ReviewStatus.REJECTED, "审核未通过", who=institute,
      remark=True),
    T("resubmit", ReviewStatus.REJECTED, ReviewStatus.PENDING, "修改后重新提交", who=not_institute),
], labels=ReviewStatus.LABELS)
CLASS = Machine("inhouse_class", InhouseClass, [
    T("approve", ReviewStatus.PENDING, ReviewStatus.APPROVED, "审核通过", who=institute),
    T("reject", ReviewStatus.PENDING, ReviewStatus.REJECTED, "审核未通过", who=institute,
      remark=True),
    T("resubmit", ReviewStatus.REJECTED, ReviewStatus.PENDING, "修改后重新提交", who=not_institute),
], labels=ReviewStatus.LABELS)
ENTRY = Machine("inhouse_roster_entry", InhouseRosterEntry, [
    T("approve", EntryStatus.ENROLLED, EntryStatus.APPROVED, "审核通过", who=institute,
      guards=[Guard("class_approved", _class_approved), Guard("class_ended", _class_ended)]),
    T("reject", (EntryStatus.ENROLLED, EntryStatus.APPROVED), EntryStatus.REJECTED, "审核未通过",
      who=institute, remark=True),
], labels=EntryStatus.LABELS)


# --- 内培资格申请 ------------------------------------------------------------------------------

def qualification_years(now) -> list[int]:
    year = today(now).year
    return [year, year + 1]


def has_qualification(firm_id: int, year: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(InhouseQualification).where(
        InhouseQualification.firm_id == firm_id, InhouseQualification.year == year,
        InhouseQualification.status == ReviewStatus.APPROVED)) > 0


def attachments_of(qualification_ids) -> dict[int, dict[str, object]]:
    """{qualification id: {doc type name: StoredFile}} (the latest of each type)."""
    found = {}
    for owner_id, rows in files.of_owner(OWNER_QUALIFICATION, qualification_ids).items():
        found[owner_id] = {row.doc_type: row for row in rows}
    return found


@command
def apply_qualification(actor, now, year, uploads: dict) -> InhouseQualification:
    """Apply (or correct a pending / rejected application) for `year`; `uploads` maps a
    doc type name of ATTACHMENTS to a files.Upload (None: keep what was uploaded)."""
    firm = firm_of(actor)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError("请填写年度", "year") from None
    if year not in qualification_years(now):
        raise ValidationError(f"年度只能为{'或'.join(map(str, qualification_years(now)))}", "year")
    row = db.session.scalars(select(InhouseQualification).where(
        InhouseQualification.firm_id == firm.id, InhouseQualification.year == year)).first()
    if row is not None and row.status == ReviewStatus.APPROVED:
        raise ValidationError(f"贵所{year}年度内培资格已审核通过，无需重复申请", "year")
    current = attachments_of([row.id])[row.id] if row is not None else {}
    missing = [d for d in ATTACHMENTS if uploads.get(d.name) is None and d.name not in current]
    if missing:
        raise ValidationError(f"请上传{'、'.join(d.label for d in missing)}", missing[0].name)
    if row is None:
        row = InhouseQualification(firm_id=firm.id, year=year, status=ReviewStatus.PENDING,
                                   submitted_at=now, submitted_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        QUALIFICATION.start(row, actor, now, remark="提交申请")
    else:
        if row.status == ReviewStatus.REJECTED:
            QUALIFICATION.fire(row, "resubmit", actor, now)
        row.submitted_at = now
        row.submitted_by_id = getattr(actor, "id", None)
    for doc in ATTACHMENTS:
        upload = uploads.get(doc.name)
        if upload is None:
            continue
        files.store(actor, now, doc, upload, OWNER_QUALIFICATION, row.id)
        if doc.name in current:
            files.remove(current[doc.name])
    db.session.flush()
    return row


def _decide(machine, model, label, actor, now, pk, event, remark, notify_firm=True,
            version=None):
    """`version`: the one the deciding page showed (a row decided since is refused)."""
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以审核")
    item = get_scoped(db.session, model, pk, actor, f"{label}不存在")
    remark = (remark or "").strip()[:200] or None
    machine.fire(item, event, actor, now, remark=remark, expected_version=version)
    item.decided_at, item.decided_by_id = now, getattr(actor, "id", None)
    item.remark = remark
    return item


def _text(value):
    if value is not None and not isinstance(value, str):
        raise ValidationError("原因须为文本", "remark")
    return value


@command
def approve_qualification(actor, now, pk, remark=None, notify_firm=True, version=None):
    item = _decide(QUALIFICATION, InhouseQualification, "内培资格申请", actor, now, pk, "approve",
                   _text(remark), version=version)
    if notify_firm:
        _tell_firm(item.firm_id, f"【内培资格】{item.year}年度内培资格申请审核通过",
                   f"贵所{item.year}年度内培资格申请已审核通过，可以上报该年度的内部培训班。", now)
    return item


@command
def reject_qualification(actor, now, pk, remark=None, notify_firm=True, version=None):
    item = _decide(QUALIFICATION, InhouseQualification, "内培资格申请", actor, now, pk, "reject",
                   _text(remark), version=version)
    if notify_firm:
        _tell_firm(item.firm_id, f"【内培资格】{item.year}年度内培资格申请审核未通过",
                   f"贵所{item.year}年度内培资格申请审核未通过，原因：{item.remark}。"
                   f"请修改后在“内培资格申请”中重新提交。", now)
    return item


# --- 培训班 ------------------------------------------------------------------------------------

@dataclasses.dataclass
class ClassInput:
    name: str = ""
    category: str = ""
    hours: object = None
    start_date: object = None
    end_date: object = None
    address: str = ""
    leader: str = ""
    contact: str = ""


def _date(value, field, label) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(f"请填写{label}（如 2026-04-20）", field) from None


def _required(value, field, label, max_length) -> str:
    if value is not None and not isinstance(value, (str, int)):
        raise ValidationError(f"{label}须为文本", field)
    text = clean_name(value)
    if not text:
        raise ValidationError(f"请填写{label}", field)
    if len(text) > max_length:
        raise ValidationError(f"{label}过长（最多{max_length}个字）", field)
    return text


def parse_class_hours(value, field="hours", label="注师可获学时") -> Decimal:
    try:
        hours = ledger.parse_hours(value)
    except ValidationError as error:
        raise ValidationError(f"{label}：{error.message}", field) from None
    if hours > MAX_HOURS:
        raise ValidationError(f"{label}过大", field)
    return hours


def clean_class(data: ClassInput, now, *, check_timing=True) -> dict:
    """The checked values of a class form / spreadsheet row, or ValidationError."""
    values = {
        "name": _required(data.name, "name", "培训班名称", 100),
        "address": _required(data.address, "address", "培训地址", 200),
        "leader": _required(data.leader, "leader", "培训负责人", 64),
        "contact": _required(data.contact, "contact", "联系方式", 32),
    }
    category = data.category if isinstance(data.category, str) else None
    category = {"专业": Category.PROFESSIONAL}.get(category, category)
    if category not in Category.ALL:
        raise ValidationError("请选择培训类别：专业、职业道德或思政（职业道德、思政培训班须单独上报）",
                              "category")
    values["category"] = category
    values["hours"] = parse_class_hours(data.hours)
    start = _date(data.start_date, "start_date", "培训开始时间")
    end = _date(data.end_date, "end_date", "培训结束时间")
    if end < start:
        raise ValidationError("培训结束时间不能早于开始时间", "end_date")
    if end.year != start.year:
        raise ValidationError("培训班不能跨年度（开始与结束时间须在同一年）", "end_date")
    if check_timing and (start - today(now)).days < REPORT_DAYS:
        raise ValidationError(LATE_CLASS, "start_date")
    values.update(start_date=start, end_date=end, year=start.year)
    return values


def _require_qualification(firm_id: int, year: int) -> None:
    if not has_qualification(firm_id, year):
        raise ValidationError(f"贵所尚无{year}年度审核通过的内培资格，不能上报{year}年度的培训班。"
                              f"请先在“内培资格申请”中申请，协会审核通过后再上报。", "start_date")


def load_class(actor, pk) -> InhouseClass:
    return get_scoped(db.session, InhouseClass, pk, actor, "培训班不存在")


@command
def add_class(actor, now, data: ClassInput) -> InhouseClass:
    firm = firm_of(actor)
    values = clean_class(data, now)
    _require_qualification(firm.id, values["year"])
    item = InhouseClass(firm_id=firm.id, status=ReviewStatus.PENDING, created_at=now,
                        created_by_id=getattr(actor, "id", None), **values)
    db.session.add(item)
    db.session.flush()
    CLASS.start(item, actor, now, remark="上报培训班")
    return item


@command
def update_class(actor, now, pk, data: ClassInput) -> InhouseClass:
    firm_of(actor)
    item = load_class(actor, pk)
    if item.status == ReviewStatus.APPROVED:
        raise ValidationError("培训班已审核通过，不能修改", "status")
    values = clean_class(data, now)
    _require_qualification(item.firm_id, values["year"])
    most = db.session.scalar(select(func.max(InhouseRosterEntry.hours)).where(
        InhouseRosterEntry.class_id == item.id))
    if most is not None and Decimal(most) > values["hours"]:
        raise ValidationError(f"名单中已有学员获得{Decimal(most):.1f}学时，培训班学时不能少于此数",
                              "hours")
    for key, value in values.items():
        setattr(item, key, value)
    if item.status == ReviewStatus.REJECTED:
        CLASS.fire(item, "resubmit", actor, now)
    return item


@command
def delete_class(actor, now, pk) -> None:
    firm_of(actor)
    item = load_class(actor, pk)
    if item.status == ReviewStatus.APPROVED:
        raise ValidationError("培训班已审核通过，不能删除", "status")
    for entry in db.session.scalars(select(InhouseRosterEntry).where(
            InhouseRosterEntry.class_id == item.id)):
        ledger.withdraw(actor, now, SourceKind.INHOUSE_ROSTER, entry.id)
        db.session.delete(entry)
    db.session.delete(item)


@command
def approve_class(actor, now, pk, remark=None, notify_firm=True, version=None):
    item = _decide(CLASS, InhouseClass, "培训班", actor, now, pk, "approve", _text(remark), version=version)
    if notify_firm:
        _tell_firm(item.firm_id, f"【内部培训】培训班“{item.name}”审核通过",
                   f"贵所上报的培训班“{item.name}”已审核通过。", now)
    return item


@command
def reject_class(actor, now, pk, remark=None, notify_firm=True, version=None):
    item = _decide(CLASS, InhouseClass, "培训班", actor, now, pk, "reject", _text(remark), version=version)
    if notify_firm:
        _tell_firm(item.firm_id, f"【内部培训】培训班“{item.name}”审核未通过",
                   f"贵所上报的培训班“{item.name}”审核未通过，原因：{item.remark}。", now)
    return item


# --- 学员名单 ----------------------------------------------------------------------------------

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


def clean_entry(item: InhouseClass, data: EntryInput) -> dict:
    is_cpa = _yes_no(data.is_cpa)
    cert = str(data.cert_number or "").strip() if isinstance(data.cert_number, (str, int)) \
        else None
    id_text = str(data.id_number or "").strip() if isinstance(data.id_number, (str, int)) \
        else None
    if cert is None or id_text is None:
        raise ValidationError("证书编号、身份证号须为文本", "cert_number")
    if is_cpa:
        if not cert:
            raise ValidationError("是否注师为“是”时，证书编号必填", "cert_number")
        cert = validate_cert_number(cert)
    elif cert:
        raise ValidationError("是否注师为“否”时，不能填写证书编号", "cert_number")
    elif not id_text:
        raise ValidationError("是否注师为“否”时，身份证号必填", "id_number")
    id_number = validate_id_number(id_text) if id_text else None
    name = clean_name(data.name) if isinstance(data.name, str) else ""
    if not is_cpa and not name:
        raise ValidationError("请填写姓名", "name")
    if len(name) > 64:
        raise ValidationError("姓名过长（最多64个字）", "name")
    level = _required(data.level, "level", "级别", 32)
    acquisition = data.acquisition or Acquisition.IN_HOUSE
    if acquisition not in Acquisition.ALL:
        raise ValidationError(f"学时获得方式只能为{'、'.join(Acquisition.ALL)}", "acquisition")
    hours = item.hours if data.hours in (None, "") else parse_class_hours(
        data.hours, label="获得学时")
    if Decimal(hours) > Decimal(item.hours):
        raise ValidationError(f"获得学时不能超过本培训班的学时（{Decimal(item.hours):.1f}）", "hours")
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
    firm_of(actor)
    item = load_class(actor, class_id)
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
    firm_of(actor)
    entry = load_entry(actor, pk)
    if entry.status != EntryStatus.ENROLLED:
        raise ValidationError(f"该学员已{label(entry)}，不能修改", "status")
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
        firm_of(actor)
        if entry.status != EntryStatus.ENROLLED:
            raise ValidationError(f"该学员已{label(entry)}，不能删除", "status")
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
def approve_entry(actor, now, pk, remark=None, notify_firm=True, version=None):
    entry = _decide(ENTRY, InhouseRosterEntry, "名单记录", actor, now, pk, "approve", _text(remark), version=version)
    credit_entry(actor, now, entry)
    if notify_firm:
        item = entry.inhouse_class
        _tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员审核通过",
                   f"培训班“{item.name}”的学员{entry.name}审核通过，已计入"
                   f"{Decimal(entry.hours):.1f}学时。", now)
    return entry


@command
def reject_entry(actor, now, pk, remark=None, notify_firm=True, version=None):
    entry = _decide(ENTRY, InhouseRosterEntry, "名单记录", actor, now, pk, "reject", _text(remark), version=version)
    ledger.withdraw(actor, now, SourceKind.INHOUSE_ROSTER, entry.id)
    if notify_firm:
        item = entry.inhouse_class
        _tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员审核未通过",
                   f"培训班“{item.name}”的学员{entry.name}审核未通过，原因：{entry.remark}。", now)
    return entry


def reported_counts(class_ids) -> dict[int, int]:
    ids = list(class_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        select(InhouseRosterEntry.class_id, func.count()).where(
            InhouseRosterEntry.class_id.in_(ids)).group_by(InhouseRosterEntry.class_id)).all())


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_QUALIFICATION: _firm_reads(InhouseQualification)}
