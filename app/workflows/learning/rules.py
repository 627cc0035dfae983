"""网络学习 rules (seed 001 §2.2 / §3.2, seed 002 §3-6, DESIGN §2).

- Staff keep the institutes (会计学院) and their courses (网络课程: required or elective,
  hours, category, the institute's own course code, per year).
- A 注册会计师 or 非执业会员 chooses one active institute for the current year; the choice is
  locked for that year (「每年只能选择一家会计学院进行学习，当年不可更改」). A 非执业会员's
  choice opens a fee order (学习费用, 待缴费) for that year at the institute's fee; staff
  mark it 已缴费 on receipt (no payment gateway is reachable) or take that back.
- The institute's LMS account (role Institute) reports, for learners who chose it that year,
  a finished lesson (→ 待评价) and its evaluation (→ 已评价). Anything else — a learner of
  another institute, no choice, another institute's course — is refused and nothing is
  written.
- The daily job `learning_credit` credits, through the hour ledger, each lesson evaluated
  before today (「第二天可查询学时」) that counts: for a 注册会计师 an elective counts only
  once every required course of the year is finished — learnt and evaluated, since an
  unevaluated lesson is not recorded (「需先完成必修课程」); a 非执业会员's
  lessons count once the fee is paid (no required / elective distinction). The ledger
  credits each lesson once (source online_lesson + the progress id), so running the job
  twice, or late, credits nothing twice; lessons that did not count wait for a later run.
"""
import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (Account, Course, Delivery, FeeStatus, InstituteChoice, LearningFee,
                        LearningInstitute, LessonProgress, Person, PersonType, ProgressStatus,
                        SourceKind)
from app.roles import INSTITUTE
from app.workflows.core.commands import command
from app.workflows.core.errors import (DomainError, ForbiddenError, NotFoundError,
                                       ValidationError)
from app.workflows.core.scoping import get_scoped, is_institute, person_id_of, role_names
from app.workflows.core.states import Machine, T, Who, institute, system
from app.workflows.hours import ledger
from app.workflows.messages import notify

log = logging.getLogger(__name__)
LEARNERS = (PersonType.CPA, PersonType.NON_PRACTICING)
LOCKED = "每年只能选择一家会计学院进行学习，当年不可更改"
WAIT_REQUIRED = "须先完成全部必修课程"
WAIT_FEE = "缴费后计入"
NEXT_DAY = "次日计入学时"

lms = Who("会计学院", lambda actor, item: INSTITUTE in role_names(actor))
staff_or_system = Who("协会工作人员", lambda actor, item: is_institute(actor))

PROGRESS = Machine("lesson_progress", LessonProgress, [
    T("evaluate", ProgressStatus.TO_EVALUATE, ProgressStatus.EVALUATED, "评价", who=lms),
    T("credit", ProgressStatus.EVALUATED, ProgressStatus.CREDITED, "计入学时", who=system),
    T("uncredit", ProgressStatus.CREDITED, ProgressStatus.EVALUATED, "撤销计入学时",
      who=staff_or_system, remark=True),
], labels=ProgressStatus.LABELS)
FEE = Machine("learning_fee", LearningFee, [
    T("mark_paid", FeeStatus.UNPAID, FeeStatus.PAID, "确认收款", who=institute),
    T("unmark_paid", FeeStatus.PAID, FeeStatus.UNPAID, "撤销收款", who=institute, remark=True),
], labels=FeeStatus.LABELS)


def this_year(now) -> int:
    return clock.local_today(now).year


def years(now) -> list[int]:
    return [this_year(now), this_year(now) - 1]


def _users_of(person_id: int):
    from flask_appbuilder.security.sqla.models import User

    return list(db.session.scalars(select(User).join(Account, Account.user_id == User.id)
                                   .where(Account.person_id == person_id)))


# --- the member's choice -------------------------------------------------------------------------

def studies_here(actor) -> bool:
    """Whether the 网络学习 menu leads anywhere for `actor`: not for a member who is an
    其他从业人员 (what `learner_of` refuses); staff and firm admins by their permissions."""
    person_id = person_id_of(actor)
    if is_institute(actor) or person_id is None:
        return True
    person = db.session.get(Person, person_id)
    return person is not None and person.person_type in LEARNERS


def learner_of(actor) -> Person:
    """The person a member studies as (注册会计师 or 非执业会员 only)."""
    person_id = person_id_of(actor)
    if is_institute(actor) or person_id is None:
        raise ForbiddenError("只有会员本人可以选择会计学院")
    person = db.session.get(Person, person_id)
    if person is None or person.person_type not in LEARNERS:
        raise ForbiddenError("网络学习面向注册会计师和非执业会员")
    return person


def choice_of(person_id: int, year: int) -> InstituteChoice | None:
    return db.session.scalars(select(InstituteChoice).where(
        InstituteChoice.person_id == person_id, InstituteChoice.year == year)).first()


def fee_of(person_id: int, year: int) -> LearningFee | None:
    return db.session.scalars(select(LearningFee).where(
        LearningFee.person_id == person_id, LearningFee.year == year)).first()


def active_institutes() -> list[LearningInstitute]:
    return list(db.session.scalars(select(LearningInstitute).where(
        LearningInstitute.active.is_(True)).order_by(LearningInstitute.id)))


@command
def choose_institute(actor, now, institute_id) -> InstituteChoice:
    """选择会计学院 for this year: once, locked; a 非执业会员 gets a fee order."""
    person = learner_of(actor)
    year = this_year(now)
    try:
        key = int(institute_id)
    except (TypeError, ValueError):
        raise ValidationError("请选择会计学院", "institute") from None
    chosen = choice_of(person.id, year)
    if chosen is not None:
        raise ValidationError(f"您已选择{chosen.institute.name}作为{year}年度的学习学院。"
                              f"{LOCKED}", "institute")
    target = db.session.get(LearningInstitute, key) if -2**31 < key < 2**31 else None
    if target is None or not target.active:
        raise ValidationError("所选会计学院不存在或已停用", "institute")
    choice = InstituteChoice(person_id=person.id, year=year, institute_id=target.id,
                             chosen_at=now)
    db.session.add(choice)
    body = f"您已选择{target.name}作为{year}年度网络学习的会计学院，当年不可更改。"
    if person.person_type == PersonType.NON_PRACTICING:
        fee = LearningFee(person_id=person.id, year=year, institute_id=target.id,
                          amount=target.fee, status=FeeStatus.UNPAID, created_at=now)
        db.session.add(fee)
        body += (f"请缴纳学习费用{target.fee:.2f}元；协会确认收款后，已学完并评价的课程"
                 f"于次日计入学时。")
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError(f"您已选择{year}年度的学习学院。{LOCKED}", "institute") from None
    fee = fee_of(person.id, year)
    if fee is not None:
        fee.reference = fee_reference(target, year, fee.id)
        body += f"缴费编号：{fee.reference}（汇款时请在附言中注明）。"
        FEE.start(fee, actor, now, remark=f"选择{target.name}")
    notify(_users_of(person.id), "网络学习：已选择会计学院", body, now, link="/learning/")
    return choice


def fee_reference(institute: LearningInstitute, year: int, fee_id: int) -> str:
    """缴费编号 of a fee order: the institute's code, the year and the order's number
    (BNAI2026000012) — what the member writes as 汇款附言 so staff match the payment."""
    return f"{institute.code}{year}{fee_id:06d}"


def payment_instructions(fee: LearningFee) -> dict:
    """What a 非执业会员 with a 待缴费 fee needs to pay it (issue 23 item 10): the chosen
    institute's 收款单位, 开户银行, 收款账号, the amount, the order's 缴费编号, the 咨询电话
    and any other note staff keep on 会计学院; `complete` says whether staff entered an
    account at all (else the member is told whom to call)."""
    institute = fee.institute
    rows = [("收款单位", institute.pay_payee), ("开户银行", institute.pay_bank),
            ("收款账号", institute.pay_account), ("缴费金额", f"{fee.amount:.2f}元"),
            ("汇款附言（缴费编号）", fee.reference), ("咨询电话", institute.phone),
            ("其他说明", institute.pay_note)]
    return {"institute": institute.name, "rows": [(k, v) for k, v in rows if v],
            "complete": bool(institute.pay_account and institute.pay_payee)}


def text_value(value, field, label, max_length, required=True) -> str:
    """A text field of a request or form: trimmed, required unless told, within max_length."""
    if value is not None and not isinstance(value, (str, int)):
        raise ValidationError(f"{label}须为文本", field)
    value = str(value if value is not None else "").strip()
    if required and not value:
        raise ValidationError(f"请提供{label}（{field}）", field)
    if len(value) > max_length:
        raise ValidationError(f"{label}不能超过{max_length}个字", field)
    return value



# --- which lessons count ---------------------------------------------------------------------------

@dataclasses.dataclass
class Gate:
    """Why a learner's evaluated lessons of a year do not count yet (None: they count)."""
    required_left: list  # titles of required courses not finished (注册会计师)
    unpaid: bool          # 非执业会员 whose fee is not paid

    def reason(self, required: bool, person_type: str) -> str | None:
        if person_type == PersonType.NON_PRACTICING:
            return WAIT_FEE if self.unpaid else None
        if person_type == PersonType.CPA:
            return WAIT_REQUIRED if (not required and self.required_left) else None
        return "网络学习面向注册会计师和非执业会员"


def gates(pairs) -> dict:
    """{(person_id, year): Gate} for many learners at once (three queries in all)."""
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return {}
    person_ids = {p for p, _ in pairs}
    year_set = {y for _, y in pairs}
    choices = {(c.person_id, c.year): c.institute_id for c in db.session.scalars(
        select(InstituteChoice).where(InstituteChoice.person_id.in_(person_ids),
                                      InstituteChoice.year.in_(year_set)))}
    required = defaultdict(dict)  # (institute, year) -> {course id: title}
    for course in db.session.scalars(select(Course).where(
            Course.required.is_(True), Course.active.is_(True), Course.year.in_(year_set),
            Course.institute_id.in_(set(choices.values()) or {0}))):
        required[(course.institute_id, course.year)][course.id] = course.title
    finished = defaultdict(set)  # a required lesson is finished once evaluated
    for person_id, year, course_id in db.session.execute(select(
            LessonProgress.person_id, LessonProgress.year, LessonProgress.course_id).where(
            LessonProgress.person_id.in_(person_ids), LessonProgress.year.in_(year_set),
            LessonProgress.status != ProgressStatus.TO_EVALUATE)):
        finished[(person_id, year)].add(course_id)
    paid = {(f.person_id, f.year) for f in db.session.scalars(select(LearningFee).where(
        LearningFee.person_id.in_(person_ids), LearningFee.year.in_(year_set),
        LearningFee.status == FeeStatus.PAID))}
    found = {}
    for person_id, year in pairs:
        institute_id = choices.get((person_id, year))
        needed = required.get((institute_id, year), {})
        left = [title for cid, title in needed.items()
                if cid not in finished[(person_id, year)]]
        found[(person_id, year)] = Gate(required_left=left, unpaid=(person_id, year) not in paid)
    return found


def day_start(now) -> dt.datetime:
    """The start of `now`'s local day, in UTC: lessons evaluated before it are due."""
    local = dt.datetime.combine(clock.local_today(now), dt.time(), tzinfo=clock.LOCAL_TZ)
    return local.astimezone(dt.timezone.utc)


@command
def _credit_lessons(actor, now, progress_ids: list[int]) -> int:
    """Credit these evaluated lessons (one transaction): the ledger in one batch, then each
    lesson's step on the machine (已评价 → 已计学时, with its history row)."""
    rows = list(db.session.scalars(
        select(LessonProgress).options(selectinload(LessonProgress.course),
                                       selectinload(LessonProgress.institute))
        .where(LessonProgress.id.in_(progress_ids),
               LessonProgress.status == ProgressStatus.EVALUATED)
        .order_by(LessonProgress.id)))
    ledger.credit_many(actor, now, [dict(
        source_kind=SourceKind.ONLINE_LESSON, source_id=row.id, person_id=row.person_id,
        year=row.year, title=f"{row.course.title}（{row.institute.name}）",
        category=row.course.category, delivery=Delivery.ONLINE, hours=row.course.hours,
        obtained_at=row.evaluated_at or row.completed_at) for row in rows])
    for row in rows:
        row.credited_at = now
        PROGRESS.fire(row, "credit", actor, now)
    return len(rows)


BATCH = 1000  # lessons per transaction of the daily run (whole learners, never split)


def credit_due(actor, now) -> dict:
    """The daily run: credit every countable lesson evaluated before today, once."""
    cutoff = day_start(now)
    due = db.session.execute(
        select(LessonProgress.id, LessonProgress.person_id, LessonProgress.year,
               LessonProgress.course_id, Person.person_type)
        .join(Person, Person.id == LessonProgress.person_id)
        .where(LessonProgress.status == ProgressStatus.EVALUATED,
               LessonProgress.evaluated_at < cutoff)
        .order_by(LessonProgress.person_id, LessonProgress.year, LessonProgress.id)).all()
    counts = {"credited": 0, "wait_required": 0, "wait_fee": 0, "not_learner": 0, "failed": 0}
    key_of = {WAIT_REQUIRED: "wait_required", WAIT_FEE: "wait_fee"}
    if not due:
        return counts
    required = dict(db.session.execute(select(Course.id, Course.required).where(
        Course.id.in_({r.course_id for r in due}))).all())
    learners = defaultdict(list)
    for row in due:
        learners[(row.person_id, row.year)].append(row)
    found = {}
    keys = list(learners)
    for start in range(0, len(keys), 500):
        found.update(gates(keys[start:start + 500]))
    db.session.rollback()  # read-only so far: the writes go in batches of whole learners
    batches, batch = [], []
    for key, rows in learners.items():
        countable = []
        for row in rows:
            reason = found[key].reason(required[row.course_id], row.person_type)
            if reason is None:
                countable.append(row.id)
            else:
                counts[key_of.get(reason, "not_learner")] += 1
        if countable:
            batch.append(countable)
            if sum(map(len, batch)) >= BATCH:
                batches.append(batch)
                batch = []
    if batch:
        batches.append(batch)
    for batch in batches:
        try:
            counts["credited"] += _credit_lessons(actor, now, [i for ids in batch for i in ids])
        except DomainError:
            # one learner's bad data must not hold back the others: retry one by one
            for ids in batch:
                try:
                    counts["credited"] += _credit_lessons(actor, now, ids)
                except DomainError as error:
                    log.warning("网络学习计入学时失败（学习进度 %s）：%s", ids, error.message)
                    counts["failed"] += len(ids)
    return counts


# --- fees --------------------------------------------------------------------------------------

def _uncredit_year(actor, now, person_id, year, why) -> int:
    rows = list(db.session.scalars(select(LessonProgress).where(
        LessonProgress.person_id == person_id, LessonProgress.year == year,
        LessonProgress.status == ProgressStatus.CREDITED)))
    for row in rows:
        ledger.withdraw(actor, now, SourceKind.ONLINE_LESSON, row.id)
        row.credited_at = None
        PROGRESS.fire(row, "uncredit", actor, now, remark=why)
    return len(rows)


@command
def mark_paid(actor, now, fee_id, remark=None) -> LearningFee:
    """确认收款 (staff, on receipt): the next daily run credits the evaluated lessons."""
    fee = get_scoped(db.session, LearningFee, fee_id, actor, "学习费用记录不存在")
    receipt = text_value(remark, "remark", "收款凭证号或备注", 100, required=False) or None
    FEE.fire(fee, "mark_paid", actor, now, remark=receipt)
    fee.paid_at, fee.receipt = now, receipt
    notify(_users_of(fee.person_id), "网络学习：学习费用已确认收款",
           f"协会已确认收到您{fee.year}年度网络学习费用{fee.amount:.2f}元（{fee.institute.name}）。"
           f"已学完并评价的课程将于次日计入学时。", now, link="/learning/")
    return fee


@command
def unmark_paid(actor, now, fee_id, remark=None) -> LearningFee:
    """撤销收款 (a reason required): the year's credited lessons are taken back."""
    fee = get_scoped(db.session, LearningFee, fee_id, actor, "学习费用记录不存在")
    FEE.fire(fee, "unmark_paid", actor, now, remark=remark)
    fee.paid_at, fee.receipt = None, None
    _uncredit_year(actor, now, fee.person_id, fee.year, f"撤销收款：{(remark or '').strip()}")
    return fee


FEE_COMMANDS = {"mark_paid": mark_paid, "unmark_paid": unmark_paid}


def mark_paid_many(actor, now, ids, remark=None) -> tuple[int, list[str]]:
    """确认收款 for several orders: each on its own; the ones refused say why."""
    done, errors = 0, []
    for pk in ids:
        try:
            mark_paid(actor, now, pk, remark=remark)
            done += 1
        except (ValidationError, ForbiddenError, NotFoundError) as error:
            errors.append(f"记录{pk}：{error.message}")
    return done, errors


# --- what the member sees ----------------------------------------------------------------------------

@dataclasses.dataclass
class CourseLine:
    course: Course
    progress: LessonProgress | None
    state: str     # 未学习 / 待评价 / 已评价 / 已计学时
    note: str      # why an evaluated lesson is not credited yet, or what comes next


@dataclasses.dataclass
class Overview:
    person: Person
    year: int
    choice: InstituteChoice | None
    fee: LearningFee | None
    lines: list
    required_left: list
    credited_hours: Decimal
    distinguishes: bool  # 注册会计师: required before electives


def courses_of(institute_id, year) -> list[Course]:
    return list(db.session.scalars(select(Course).where(
        Course.institute_id == institute_id, Course.year == year, Course.active.is_(True))
        .order_by(Course.required.desc(), Course.code)))


def overview(person: Person, year: int, now) -> Overview:
    choice = choice_of(person.id, year)
    fee = fee_of(person.id, year)
    lines, left, credited = [], [], Decimal(0)
    if choice is not None:
        gate = gates([(person.id, year)])[(person.id, year)]
        left = gate.required_left
        progress = {p.course_id: p for p in db.session.scalars(select(LessonProgress).where(
            LessonProgress.person_id == person.id, LessonProgress.year == year))}
        today = day_start(now)
        for course in courses_of(choice.institute_id, year):
            row = progress.get(course.id)
            if row is None:
                note = ("须先完成必修课程，才可以学习选修课程"
                        if person.person_type == PersonType.CPA and not course.required and left
                        else "")
                lines.append(CourseLine(course, None, "未学习", note))
                continue
            if row.status == ProgressStatus.TO_EVALUATE:
                note = "请在学院学习平台评价本课程，未评价的学时暂不记录"
            elif row.status == ProgressStatus.EVALUATED:
                note = gate.reason(course.required, person.person_type) or (
                    NEXT_DAY if row.evaluated_at >= today else "待计入（每日凌晨计入）")
            else:
                note = f"{clock.display(row.credited_at)}计入"
                credited += Decimal(course.hours)
            lines.append(CourseLine(course, row, row.status, note))
    return Overview(person, year, choice, fee, lines, left, credited,
                    person.person_type == PersonType.CPA)


def required_count(institute_ids, year) -> dict:
    """{institute id: (required, elective, hours)} for the choice page."""
    rows = db.session.execute(select(
        Course.institute_id, Course.required, func.count(), func.sum(Course.hours))
        .where(Course.institute_id.in_(institute_ids), Course.year == year,
               Course.active.is_(True)).group_by(Course.institute_id, Course.required)).all()
    found = defaultdict(lambda: [0, 0, Decimal(0)])
    for institute_id, required, count, hours in rows:
        found[institute_id][0 if required else 1] += count
        found[institute_id][2] += Decimal(hours or 0)
    return found


def summary(year: int) -> list[dict]:
    """网络学习概况 for staff: per institute, who chose it and where their lessons stand."""
    chosen = dict(db.session.execute(select(InstituteChoice.institute_id, func.count())
                                     .where(InstituteChoice.year == year)
                                     .group_by(InstituteChoice.institute_id)).all())
    states = defaultdict(dict)
    for institute_id, status, count in db.session.execute(select(
            LessonProgress.institute_id, LessonProgress.status, func.count())
            .where(LessonProgress.year == year)
            .group_by(LessonProgress.institute_id, LessonProgress.status)):
        states[institute_id][status] = count
    unpaid = dict(db.session.execute(select(LearningFee.institute_id, func.count())
                                     .where(LearningFee.year == year,
                                            LearningFee.status == FeeStatus.UNPAID)
                                     .group_by(LearningFee.institute_id)).all())
    rows = []
    for found in db.session.scalars(select(LearningInstitute).order_by(LearningInstitute.id)):
        rows.append({"institute": found, "chosen": chosen.get(found.id, 0),
                     "states": [states[found.id].get(s, 0) for s in ProgressStatus.ALL],
                     "unpaid": unpaid.get(found.id, 0)})
    return rows
