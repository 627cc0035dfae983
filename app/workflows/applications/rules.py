"""学时申请 rules (seed 001 §2.2 / §3.2, seed 002 §7-9, DESIGN §3a).

- A member (注册会计师 or 非执业会员) files, for this year or last year, a 投入式 application
  (主办单位, 学时途径, 申请学时), an 产出式 one (学时途径 from OUTPUT_ROUTES; 申请学时 = rate ×
  quantity, capped per route) or a 豁免 one (豁免条件 from EXEMPTION_CONDITIONS), each with
  a 备注 and at least one attachment (证明材料) in the file store.
- 未确认 → 已确认 / 不予确认 (a reason is required); the owner may edit or delete while 未确认
  or 不予确认, and saving a refused application files it again (→ 未确认). Staff may take back
  a confirmation (撤销确认, reason required) → 未确认. Every step is in the history and the
  member gets a system message.
- Confirming a 投入式 / 产出式 application credits its hours through the ledger (source
  "application", the application's id, delivery 投入式 / 产出式: the rules engine caps 产出式
  at 24 a year); confirming a 豁免 records a CpeExemption (CPA: no requirement that year;
  非执业会员: halved). Taking the confirmation back removes exactly that effect.
"""
import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import delete, func, select

from app import clock
from app.extensions import db
from app.models import (ApplicationKind, ApplicationStatus, Category, CpeExemption,
                        HourApplication, Person, PersonType, SourceKind)
from app.workflows.core import files
from app.workflows.core.acting import require_acting
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many
from app.workflows.core.errors import (DomainError, ForbiddenError, NotFoundError, Problems,
                                       ValidationError)
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import get_scoped, is_institute, person_id_of, scoped_select
from app.workflows.core.states import Machine, P, T, acting, institute
from app.workflows.hours import ledger, verdicts
from app.workflows.hours.rules import fmt_min
from app.workflows.messages import notify, recipients

OWNER = "hour_application"
PROOF = files.doc_type("hour_application_proof", "证明材料",
                       ("pdf", "jpg", "png", "doc", "docx", "xls", "xlsx"), max_mb=10)
MAX_FILES = 5


@dataclasses.dataclass(frozen=True)
class OutputRoute:
    """One 产出式 route: hours = rate × quantity, at most `cap` per application."""
    label: str
    unit: str
    rate: Decimal
    cap: Decimal | None = None
    fixed_quantity: bool = False  # a degree: one, 24 学时

    def hours_for(self, quantity: Decimal) -> Decimal:
        hours = (self.rate * quantity).quantize(Decimal("0.1"), ROUND_HALF_UP)
        return min(hours, self.cap) if self.cap is not None else hours

    @property
    def rule(self) -> str:
        text = f"每{self.unit}{self.rate:g}学时"
        if self.unit == "小时":
            text = f"按实际授课时数的{self.rate:g}倍计算"
        if self.cap is not None:
            text += f"，最多{self.cap:g}学时"
        return text


# DESIGN §3a: each within the yearly 产出式 cap of 24 (the rules engine applies that cap)
OUTPUT_ROUTES = (
    OutputRoute("在协会组织的培训中授课", "小时", Decimal(3)),
    OutputRoute("参与起草专业标准", "项", Decimal(8)),
    OutputRoute("参加执业质量检查", "天", Decimal(4)),
    OutputRoute("注册会计师考试命题或阅卷", "半天", Decimal(4)),
    OutputRoute("承担行业课题研究", "项", Decimal(4), cap=Decimal(12)),
    OutputRoute("当年取得会计或审计相关学位", "个", Decimal(24), fixed_quantity=True),
)
OUTPUT_BY_LABEL = {r.label: r for r in OUTPUT_ROUTES}
RESEARCH_CAP_ROUTE = "承担行业课题研究"
INPUT_ROUTES = ("参加其他机构举办的专业培训", "参加专业研讨会或论坛", "参加高等院校相关课程进修",
                "参加境外职业组织的继续教育", "其他投入式学习")
EXEMPTION_CONDITIONS = ("出国（境）六个月以上", "生育（产假）", "因病休假六个月以上",
                        "当年7月1日以后取得执业资格（注册）")
MAX_INPUT_HOURS = Decimal("200")

# the member (HourApplication.__actors__: the person itself) edits, deletes and adds proof
# while nothing is credited — 未确认 or 不予确认; saving a refused one files it again (refile)
EDITABLE = (ApplicationStatus.PENDING, ApplicationStatus.REFUSED)
MACHINE = Machine("hour_application", HourApplication, [
    T("confirm", ApplicationStatus.PENDING, ApplicationStatus.CONFIRMED, "确认", who=institute),
    T("refuse", ApplicationStatus.PENDING, ApplicationStatus.REFUSED, "不予确认", who=institute,
      remark=True),
    T("refile", ApplicationStatus.REFUSED, ApplicationStatus.PENDING, "修改后重新提交",
      who=acting),
    T("revoke", ApplicationStatus.CONFIRMED, ApplicationStatus.PENDING, "撤销确认",
      who=institute, remark=True),
], permits=[
    P("edit", EDITABLE, "修改", who=acting),
    P("delete", EDITABLE, "删除", who=acting),
    P("upload", EDITABLE, "上传证明材料", who=acting),
], labels=ApplicationStatus.LABELS)


def may(row, event: str, actor, now) -> bool:
    """Whether `actor` may fire `event` on `row` now (a button, the refile on saving)."""
    return any(t.event == event for t in MACHINE.allowed(row, actor, now))


@dataclasses.dataclass
class ApplicationInput:
    kind: str = ""
    year: object = None
    route: str = ""
    organizer: str = ""
    hours: object = None      # 投入式: 申请学时
    quantity: object = None   # 产出式: 数量
    category: str = Category.PROFESSIONAL
    remark: str = ""


# --- who ---------------------------------------------------------------------------------------

def applicant_of(actor) -> Person:
    """The person a member files for (注册会计师 or 非执业会员 only)."""
    person_id = person_id_of(actor)
    if is_institute(actor) or person_id is None:
        raise ForbiddenError("只有会员本人可以申请学时")
    person = db.session.get(Person, person_id)
    if person is None or person.person_type not in (PersonType.CPA, PersonType.NON_PRACTICING):
        raise ForbiddenError("只有注册会计师和非执业会员可以申请学时")
    return person


def may_file(actor) -> bool:
    """Whether `actor` may file hour applications (what `applicant_of` enforces): a member who
    is a 注册会计师 or 非执业会员 — never a 其他从业人员, a firm admin or staff."""
    person_id = person_id_of(actor)
    if is_institute(actor) or person_id is None:
        return False
    person = db.session.get(Person, person_id)
    return person is not None and person.person_type in (PersonType.CPA,
                                                         PersonType.NON_PRACTICING)


def may_read(actor) -> bool:
    """Whether the 学时申请 menu leads anywhere for `actor`: staff (every application, 确认)
    or a member who may file."""
    return is_institute(actor) or may_file(actor)


def member_users(person_id: int):
    """The filer of an hour application: the member itself (one recipients helper)."""
    return recipients.person_users(person_id)


def years(now) -> list[int]:
    this = clock.local_today(now).year
    return [this, this - 1]


# --- cleaning -----------------------------------------------------------------------------------

def _text(value, field, label, max_length, required=True) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{label}须为文本", field)
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}", field)
    if len(value) > max_length:
        raise ValidationError(f"{label}不能超过{max_length}个字", field)
    return value


def _number(value, field, label) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}须为数字，最多一位小数", field) from None
    if not number.is_finite() or number <= 0:
        raise ValidationError(f"{label}须大于0", field)
    if number >= 1000:
        raise ValidationError(f"{label}数值过大", field)
    if number != number.quantize(Decimal("0.1")):
        raise ValidationError(f"{label}须为数字，最多一位小数", field)
    return number.quantize(Decimal("0.1"))


def _year_of(value, now) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError("请选择学时年度", "year") from None
    if year not in years(now):
        raise ValidationError(f"学时年度只能为{'或'.join(map(str, years(now)))}", "year")
    return year


def _input_route(value) -> str:
    route = _text(value, "route", "学时途径", 64)
    if route not in INPUT_ROUTES:
        raise ValidationError(f"学时途径须为{'、'.join(INPUT_ROUTES)}之一", "route")
    return route


def _input_hours(value) -> Decimal:
    hours = _number(value, "hours", "申请学时")
    if hours > MAX_INPUT_HOURS:
        raise ValidationError(f"申请学时不能超过{MAX_INPUT_HOURS:g}", "hours")
    return hours


def _output_route(value) -> OutputRoute:
    route = OUTPUT_BY_LABEL.get(_text(value, "route", "学时途径", 64))
    if route is None:
        raise ValidationError(f"学时途径须为{'、'.join(OUTPUT_BY_LABEL)}之一", "route")
    return route


def _condition(value) -> str:
    condition = _text(value, "route", "豁免条件", 64)
    if condition not in EXEMPTION_CONDITIONS:
        raise ValidationError(f"豁免条件须为{'、'.join(EXEMPTION_CONDITIONS)}之一", "route")
    return condition


def clean(data: ApplicationInput, now, problems: Problems | None = None) -> dict:
    """The application's values; every field at fault is recorded in `problems` (raised at
    once here unless the caller passes its own to add more, e.g. the attachments)."""
    own = problems is None
    problems = Problems() if own else problems
    kind = data.kind
    if kind not in ApplicationKind.ALL:
        raise ValidationError(f"申请类型须为{'、'.join(ApplicationKind.ALL)}之一", "kind")
    values = dict(kind=kind, year=None, remark=None, organizer=None, quantity=None,
                  hours=None, category=Category.PROFESSIONAL, route=None)
    with problems.field("year"):
        values["year"] = _year_of(data.year, now)
    with problems.field("remark"):
        values["remark"] = _text(data.remark, "remark", "备注", 500, required=False) or None
    if kind == ApplicationKind.INPUT:
        with problems.field("route"):
            values["route"] = _input_route(data.route)
        with problems.field("organizer"):
            values["organizer"] = _text(data.organizer, "organizer", "主办单位", 200)
        with problems.field("hours"):
            values["hours"] = _input_hours(data.hours)
        if data.category not in Category.ALL:
            problems.add("category", f"学时类别须为{'、'.join(Category.ALL)}之一")
        values["category"] = data.category
    elif kind == ApplicationKind.OUTPUT:
        route = None
        with problems.field("route"):
            route = _output_route(data.route)
        with problems.field("organizer"):
            values["organizer"] = _text(data.organizer, "organizer", "主办单位", 200,
                                        required=False) or None
        if route is not None:
            with problems.field("quantity"):
                quantity = Decimal(1) if route.fixed_quantity else \
                    _number(data.quantity, "quantity", f"数量（{route.unit}）")
                values.update(route=route.label, quantity=quantity,
                              hours=route.hours_for(quantity))
    else:
        with problems.field("route"):
            values["route"] = _condition(data.route)
    if own:
        problems.raise_any()
    return values


def _others(person_id, year, exclude_id):
    query = select(HourApplication).where(
        HourApplication.person_id == person_id, HourApplication.year == year,
        HourApplication.status != ApplicationStatus.REFUSED)
    if exclude_id is not None:
        query = query.where(HourApplication.id != exclude_id)
    return list(db.session.scalars(query))


def _check_year_limits(person_id, values, exclude_id=None) -> None:
    """One 豁免 and one degree a year; 行业课题研究 at most 12 学时 a year (DESIGN §3a)."""
    others = _others(person_id, values["year"], exclude_id)
    if values["kind"] == ApplicationKind.EXEMPTION and any(
            o.kind == ApplicationKind.EXEMPTION for o in others):
        raise ValidationError(f"{values['year']}年度已有豁免学时申请，不能重复申请", "route")
    if values["kind"] != ApplicationKind.OUTPUT:
        return
    route = OUTPUT_BY_LABEL[values["route"]]
    same = [o for o in others if o.kind == ApplicationKind.OUTPUT and o.route == route.label]
    if route.fixed_quantity and same:
        raise ValidationError(f"{values['year']}年度已申请“{route.label}”学时，不能重复申请", "route")
    if route.cap is not None:
        used = sum((Decimal(o.hours or 0) for o in same), Decimal(0))
        if used + values["hours"] > route.cap:
            left = max(route.cap - used, Decimal(0))
            raise ValidationError(f"“{route.label}”每年最多{fmt_min(route.cap)}学时，本年度已申请"
                                  f"{fmt_min(used)}学时，最多还可申请{fmt_min(left)}学时", "quantity")


def _uploads(uploads) -> list:
    uploads = [u for u in (uploads or []) if u is not None]
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"证明材料最多{MAX_FILES}个文件", PROOF.name)
    return uploads


def attachments_of(ids) -> dict[int, list]:
    return files.of_owner(OWNER, list(ids))


# --- the member's commands ----------------------------------------------------------------------

@command
def file_application(actor, now, data: ApplicationInput, uploads) -> HourApplication:
    """新建: a new application (未确认) with at least one attachment; every field at fault
    is named at once."""
    person = applicant_of(actor)
    problems = Problems()
    values = clean(data, now, problems)
    with problems.field(PROOF.name):
        uploads = _uploads(uploads)
        if not uploads:
            raise ValidationError("请上传证明材料（附件）", PROOF.name)
    problems.raise_any()
    _check_year_limits(person.id, values)
    row = HourApplication(person_id=person.id, status=ApplicationStatus.PENDING,
                          submitted_at=now, submitted_by_id=getattr(actor, "id", None), **values)
    db.session.add(row)
    db.session.flush()
    MACHINE.start(row, actor, now, remark="提交申请")
    for upload in uploads:
        files.store(actor, now, PROOF, upload, OWNER, row.id)
    notify(member_users(person.id), f"【学时申请】{row.year}年度{row.kind}学时申请已提交",
           f"您的{row.year}年度{row.kind}学时申请（{row.route}）已提交，等待协会确认。", now)
    return row


def _own(actor, pk, action: str, now) -> HourApplication:
    """The member's own application (who acts: HourApplication.__actors__) on which the
    machine permits `action` now; another member's is not found."""
    applicant_of(actor)
    row = get_scoped(db.session, HourApplication, pk, actor, "学时申请不存在")
    try:
        require_acting(actor, row)
    except ForbiddenError:
        raise NotFoundError("学时申请不存在") from None
    MACHINE.require(row, action, actor, now)
    return row


@command
def update_application(actor, now, pk, data: ApplicationInput, uploads=(),
                       remove_file_ids=()) -> HourApplication:
    """修改: only while 未确认 or 不予确认; saving a refused application files it again.
    Every field at fault is named at once."""
    row = _own(actor, pk, "edit", now)
    data.kind = row.kind  # the kind of an application does not change
    problems = Problems()
    values = clean(data, now, problems)
    uploads = list(uploads or ())
    current = attachments_of([row.id]).get(row.id, [])
    removing = {int(i) for i in remove_file_ids if str(i).isdigit()}
    kept = [f for f in current if f.id not in removing]
    with problems.field(PROOF.name):
        uploads = _uploads(uploads)
        if len(kept) + len(uploads) == 0:
            raise ValidationError("请至少保留或上传一个证明材料（附件）", PROOF.name)
        if len(kept) + len(uploads) > MAX_FILES:
            raise ValidationError(f"证明材料最多{MAX_FILES}个文件", PROOF.name)
    problems.raise_any()
    if uploads:
        MACHINE.require(row, "upload", actor, now)
    _check_year_limits(row.person_id, values, exclude_id=row.id)
    for key, value in values.items():
        setattr(row, key, value)
    refiled = may(row, "refile", actor, now)
    if refiled:
        MACHINE.fire(row, "refile", actor, now)
    row.submitted_at, row.submitted_by_id = now, getattr(actor, "id", None)
    for upload in uploads:
        files.store(actor, now, PROOF, upload, OWNER, row.id)
    for stored in current:
        if stored.id in removing:
            files.remove(stored)
    if refiled:
        notify(member_users(row.person_id), f"【学时申请】{row.year}年度{row.kind}学时申请已重新提交",
               f"您修改后的{row.year}年度{row.kind}学时申请（{row.route}）已重新提交，等待协会确认。",
               now)
    db.session.flush()
    return row


@command
def delete_application(actor, now, pk) -> None:
    """删除: only while 未确认 or 不予确认 (nothing credited yet)."""
    row = _own(actor, pk, "delete", now)
    for stored in attachments_of([row.id]).get(row.id, []):
        files.remove(stored)
    db.session.delete(row)


# --- the institute's decisions ------------------------------------------------------------------

def _obtained_on(row, now):
    """获得时间 of an approved application: the moment of approval within its year, else the
    last day of the year applied for (a year still ahead is refused by the ledger)."""
    today = clock.local_today(now)
    return now if today.year == row.year else dt.date(row.year, 12, 31)


def _apply_effect(actor, now, row) -> None:
    if row.kind == ApplicationKind.EXEMPTION:
        if db.session.scalar(select(func.count()).select_from(CpeExemption).where(
                CpeExemption.source_kind == SourceKind.APPLICATION,
                CpeExemption.source_id == str(row.id))) == 0:
            db.session.add(CpeExemption(person_id=row.person_id, year=row.year,
                                        condition=row.route, source_kind=SourceKind.APPLICATION,
                                        source_id=str(row.id), created_at=now))
        return
    title = f"{row.kind}学时申请：{row.route}"
    if row.organizer:
        title += f"（{row.organizer}）"
    ledger.credit(actor, now, source_kind=SourceKind.APPLICATION, source_id=row.id,
                  person_id=row.person_id, year=row.year, title=title, category=row.category,
                  delivery=row.kind, hours=row.hours, obtained_at=_obtained_on(row, now))


def _remove_effect(actor, now, row) -> None:
    ledger.withdraw(actor, now, SourceKind.APPLICATION, row.id)
    db.session.execute(delete(CpeExemption).where(
        CpeExemption.source_kind == SourceKind.APPLICATION,
        CpeExemption.source_id == str(row.id)))
    if row.kind == ApplicationKind.EXEMPTION:  # a bulk DELETE: no flush sees it go
        verdicts.exemption_removed(db.session, row.person_id, row.year)


def _decide(actor, now, pk, event, remark, expected_version=None):
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以确认学时申请")
    if remark is not None and not isinstance(remark, str):
        raise ValidationError("原因须为文本", "remark")
    row = get_scoped(db.session, HourApplication, pk, actor, "学时申请不存在")
    remark = (remark or "").strip()[:200] or None
    MACHINE.fire(row, event, actor, now, remark=remark, expected_version=expected_version)
    row.decided_at, row.decided_by_id = now, getattr(actor, "id", None)
    return row, remark


def _effect_text(row) -> str:
    if row.kind == ApplicationKind.EXEMPTION:
        return "该年度的继续教育学时要求已按豁免规定调整"
    return f"已计入{Decimal(row.hours):.1f}学时（{row.kind}）"


@command
def confirm(actor, now, pk, remark=None, expected_version=None):
    row, remark = _decide(actor, now, pk, "confirm", remark, expected_version)
    row.reason = None
    _apply_effect(actor, now, row)
    notify(member_users(row.person_id), f"【学时申请】{row.year}年度{row.kind}学时申请已确认",
           f"您的{row.year}年度{row.kind}学时申请（{row.route}）已确认，{_effect_text(row)}。", now)
    return row


@command
def refuse(actor, now, pk, remark=None, expected_version=None):
    row, remark = _decide(actor, now, pk, "refuse", remark, expected_version)
    row.reason = remark
    notify(member_users(row.person_id), f"【学时申请】{row.year}年度{row.kind}学时申请不予确认",
           f"您的{row.year}年度{row.kind}学时申请（{row.route}）不予确认，原因：{remark}。"
           f"您可以在“学时申请”中修改后重新提交。", now)
    return row


@command
def revoke(actor, now, pk, remark=None):
    """撤销确认: back to 未确认, removing exactly what the confirmation added."""
    row, remark = _decide(actor, now, pk, "revoke", remark)
    row.reason = remark
    _remove_effect(actor, now, row)
    notify(member_users(row.person_id), f"【学时申请】{row.year}年度{row.kind}学时申请已撤销确认",
           f"您的{row.year}年度{row.kind}学时申请（{row.route}）已撤销确认，原因：{remark}。"
           f"该申请回到“未确认”，由协会重新确认。", now)
    return row


COMMANDS = {"confirm": confirm, "refuse": refuse, "revoke": revoke}
API_COMMANDS = {"confirm": confirm, "refuse": refuse}


def review_many(actor, now, ids, decision: str, remark=None,
                remarks: dict | None = None, versions=None) -> BulkResult:
    """Confirm or refuse several applications through the core's one bulk decision: each in
    its own transaction, each with its outcome (done, refused and why, or taken: decided by
    someone else since the page showed it). A refusal takes the application's own reason
    from `remarks` ({id: reason}) or else the common `remark`; one without either is
    refused by the machine (a reason is required) and named in the outcomes."""
    call = {"confirm": confirm, "refuse": refuse}.get(decision)
    if call is None:
        raise NotFoundError("没有这种审核操作")
    remarks = {int(k): v.strip() for k, v in (remarks or {}).items()
               if isinstance(v, str) and v.strip()}
    common = remark.strip() if isinstance(remark, str) else ""
    if decision == "refuse" and not common and not any(remarks.get(pk) for pk in ids):
        raise ValidationError("不予确认须填写原因", "remark")

    def decide(actor, now, pk, **kwargs):
        return call(actor, now, pk, remark=remarks.get(pk) or common or None, **kwargs)

    return decide_many(actor, now, ids, decide, versions=versions,
                       describe=lambda pk: f"第{pk}号学时申请")


def review_select(actor, *, year=None, kind=None, status=None, firm_id=None):
    """学时申请 as the actor reads them, filtered: the one query of the member's list, the
    staff's 学时申请确认 queue and the review centre (which asks for 未确认 only)."""
    query = scoped_select(HourApplication, actor)
    if year:
        query = query.where(HourApplication.year == year)
    if kind:
        query = query.where(HourApplication.kind == kind)
    if status in ApplicationStatus.ALL:
        query = query.where(HourApplication.status == status)
    if firm_id:
        query = query.where(HourApplication.person.has(Person.firm_id == firm_id))
    return query


def _can_read(actor, owner_id) -> bool:
    try:
        get_scoped(db.session, HourApplication, owner_id, actor)
    except DomainError:
        return False
    return True


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER: _can_read}


# 审核中心 (app/workflows/review_centre.py): 学时申请确认's list of 未确认
QUEUES = (Queue(
    name="hour_application", label="学时申请", group="学时申请", model=HourApplication,
    select=lambda actor, now, firm_id=None: review_select(
        actor, status=ApplicationStatus.PENDING, firm_id=firm_id),
    since=HourApplication.submitted_at,
    title=lambda row: f"{row.person.name} {row.year}年度{row.kind}申请（{row.route}）"
    if row.route else f"{row.person.name} {row.year}年度{row.kind}申请",
    firm=lambda row: row.person.firm, link=lambda row: f"/applications/{row.id}",
    loads=("person.firm",),
    decisions=(Decision("confirm", "确认", confirm),
               Decision("refuse", "不予确认", refuse, remark=True)),
    due_days=10, order=30),)
