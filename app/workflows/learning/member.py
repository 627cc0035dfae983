"""网络学习, the member's page (app/views/learning/member.py): choose one institute a year
(locked; a 非执业会员's choice opens its fee order), the fee's 交费说明, the courses with
where each lesson stands and why an evaluated one is not counted yet; staff's 网络学习概况."""
import dataclasses
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import (Course, FeeStatus, InstituteChoice, LearningFee, LearningInstitute,
                        LessonProgress, Person, PersonType, ProgressStatus)
from app.workflows.core.commands import command
from app.workflows.core.errors import ValidationError
from app.workflows.learning.crediting import day_start, gates
from app.workflows.learning.rules import (FEE, LOCKED, NEXT_DAY, PROGRESS, choice_of, fee_of,
                                          learner_of, this_year)
from app.workflows.messages import notify
from app.workflows.messages.recipients import person_users


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
    notify(person_users(person.id), "网络学习：已选择会计学院", body, now, link="/learning/")
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


# what the member's page says of a lesson in each state of its machine
_NOTES = {
    ProgressStatus.TO_EVALUATE: lambda row, course, gate, person, today:
        "请在学院学习平台评价本课程，未评价的学时暂不记录",
    ProgressStatus.EVALUATED: lambda row, course, gate, person, today:
        gate.reason(course.required, person.person_type) or (
            NEXT_DAY if row.evaluated_at >= today else "待计入（每日凌晨计入）"),
    ProgressStatus.CREDITED: lambda row, course, gate, person, today:
        f"{clock.display(row.credited_at)}计入",
}


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
            state = PROGRESS.state(row, now)
            note = _NOTES[state](row, course, gate, person, today)
            if row.credited_at is not None:
                credited += Decimal(course.hours)
            lines.append(CourseLine(course, row, state, note))
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
