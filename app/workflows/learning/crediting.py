"""网络学习, which lessons count and the daily run that credits them (jobs.py
`learning_credit`): a 注册会计师's elective once every required course of the year is
finished, a 非执业会员's lessons once the fee is paid; each lesson credited once, the day
after its evaluation."""
import dataclasses
import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (Course, Delivery, FeeStatus, InstituteChoice, LearningFee,
                        LessonProgress, Person, PersonType, ProgressStatus, SourceKind)
from app.workflows.core.commands import command
from app.workflows.core.errors import DomainError
from app.workflows.hours import ledger
from app.workflows.learning.rules import PROGRESS, WAIT_FEE, WAIT_REQUIRED

log = logging.getLogger(__name__)


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

