"""网络学习: what every part of the domain shares (seed 001 §2.2 / §3.2, seed 002 §3-6,
DESIGN §2) — the two machines (a lesson's progress, a 非执业会员's fee), who studies, the
year's choice and fee of a learner. The domain's modules, one per part its pages have:

- catalog.py: staff keep the institutes (会计学院) and their courses (网络课程: required or
  elective, hours, category, the institute's own course code, per year).
- member.py (the member's page): a 注册会计师 or 非执业会员 chooses one active institute for
  the current year; the choice is locked for that year (「每年只能选择一家会计学院进行学习，
  当年不可更改」). A 非执业会员's choice opens a fee order (学习费用, 待缴费) for that year at
  the institute's fee. The page shows the courses with where each lesson stands.
- fees.py (the staff's 网络学习费用): staff mark a fee 已缴费 on receipt (no payment gateway
  is reachable), one or many, or take that back.
- lms.py (REST, the institute's LMS account, role Institute): for learners who chose it that
  year, a finished lesson (→ 待评价) and its evaluation (→ 已评价). Anything else is refused
  and nothing is written.
- crediting.py (the daily job `learning_credit`, jobs.py): credits, through the hour ledger,
  each lesson evaluated before today (「第二天可查询学时」) that counts: for a 注册会计师 an
  elective counts only once every required course of the year is finished — learnt and
  evaluated (「需先完成必修课程」); a 非执业会员's lessons count once the fee is paid. The
  ledger credits each lesson once (source online_lesson + the progress id), so running the
  job twice, or late, credits nothing twice; lessons that did not count wait for a later run.
"""
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (FeeStatus, InstituteChoice, LearningFee, LearningInstitute,
                        LessonProgress, Person, PersonType, ProgressStatus)
from app.roles import INSTITUTE
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.scoping import is_institute, person_id_of, role_names
from app.workflows.core.states import Machine, P, T, Who, acting, institute, system

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
], permits=[
    # the member (LearningFee.__actors__: the person itself) pays a fee still 待缴费: what
    # its page shows the 交费说明 for
    P("pay", FeeStatus.UNPAID, "缴费", who=acting),
], labels=FeeStatus.LABELS)


def may(machine, item, event: str, actor, now) -> bool:
    """Whether `actor` may fire `event` on `item` now (the machine's words, not a status)."""
    return any(t.event == event for t in machine.allowed(item, actor, now))


def this_year(now) -> int:
    return clock.local_today(now).year


def years(now) -> list[int]:
    return [this_year(now), this_year(now) - 1]


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
