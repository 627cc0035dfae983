"""网络学习: what a national accounting institute's LMS reports (role Institute), for learners
who chose it that year — a finished lesson (→ 待评价) and its evaluation (→ 已评价). Anything
else (a learner of another institute, no choice, another institute's course) is refused and
nothing is written. The rules of choice, crediting and fees are in rules.py."""
import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.extensions import db
from app.models import (Course, InstituteChoice, LearningInstitute, LessonProgress, Person,
                        ProgressStatus)
from app.roles import INSTITUTE
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, NotFoundError, Problems, ValidationError
from app.workflows.core.scoping import role_names
from app.workflows.learning.rules import PROGRESS, choice_of, may, text_value


# --- what the institute's LMS reports ---------------------------------------------------------------

def institute_of(actor) -> LearningInstitute:
    """The institute an LMS account (role Institute) reports for."""
    account = getattr(actor, "account", None)
    if INSTITUTE not in role_names(actor) or account is None \
            or not account.learning_institute_id:
        raise ForbiddenError("只有会计学院的接口账号可以报送学习进度")
    found = db.session.get(LearningInstitute, account.learning_institute_id)
    if found is None or not found.active:
        raise ForbiddenError("该会计学院已停用，不能报送学习进度")
    return found


def _year(value) -> int:
    if isinstance(value, bool):
        raise ValidationError("学习年度（year）须为四位年份", "year")
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError("学习年度（year）须为四位年份", "year") from None
    if not 2000 <= year <= 2100:
        raise ValidationError("学习年度（year）须为四位年份", "year")
    return year


def _moment(value, field, label, year, now) -> dt.datetime:
    """An ISO time from the LMS (default: now); in the study year, not in the future."""
    if value in (None, ""):
        moment = now
    else:
        if not isinstance(value, str):
            raise ValidationError(f"{label}（{field}）须为ISO 8601时间，如2026-12-01T10:00:00+08:00",
                                  field)
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"{label}（{field}）须为ISO 8601时间，"
                                  f"如2026-12-01T10:00:00+08:00", field) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.LOCAL_TZ)
        moment = moment.astimezone(dt.timezone.utc)
    if moment > now + dt.timedelta(minutes=5):
        raise ValidationError(f"{label}不能晚于当前时间", field)
    if clock.to_local(moment).year != year:
        raise ValidationError(f"{label}须在{year}年度内", field)
    return moment


@dataclasses.dataclass
class Target:
    person: Person
    course: Course
    choice: InstituteChoice


def _target(actor, cert_number, year, course_code) -> Target:
    """The learner and course an LMS post is about; 403 unless the learner chose this
    institute that year (the same answer whether or not the certificate number exists)."""
    provider = institute_of(actor)
    problems = Problems()  # every field at fault is answered at once
    cert = year_ = code = None
    with problems.field("cert_number"):
        cert = text_value(cert_number, "cert_number", "证书编号", 32)
    with problems.field("year"):
        year_ = _year(year)
    with problems.field("course_code"):
        code = text_value(course_code, "course_code", "课程编号", 32)
    problems.raise_any()
    year = year_
    person = db.session.scalars(select(Person).where(Person.cert_number == cert)).first()
    choice = choice_of(person.id, year) if person is not None else None
    if choice is None or choice.institute_id != provider.id:
        raise ForbiddenError(f"证书编号为{cert}的学员未选择{provider.name}作为{year}年度的"
                             f"学习学院，不能报送其学习进度")
    course = db.session.scalars(select(Course).where(
        Course.institute_id == provider.id, Course.year == year, Course.code == code)).first()
    if course is None:
        raise NotFoundError(f"{provider.name}{year}年度没有编号为{code}的课程", "course_code")
    return Target(person, course, choice)


def _progress(person_id, course_id) -> LessonProgress | None:
    return db.session.scalars(select(LessonProgress).where(
        LessonProgress.person_id == person_id, LessonProgress.course_id == course_id)).first()


@command
def report_completion(actor, now, *, cert_number, year, course_code,
                      completed_at=None) -> LessonProgress:
    """The LMS: a learner finished a lesson (→ 待评价). Reporting it again changes nothing."""
    target = _target(actor, cert_number, year, course_code)
    moment = _moment(completed_at, "completed_at", "完成时间", target.course.year, now)
    found = _progress(target.person.id, target.course.id)
    if found is not None:
        return found
    if not target.course.active:
        raise ValidationError(f"课程“{target.course.title}”已停用", "course_code")
    row = LessonProgress(person_id=target.person.id, year=target.course.year,
                         institute_id=target.course.institute_id, course_id=target.course.id,
                         status=ProgressStatus.TO_EVALUATE, completed_at=moment)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same lesson posted twice at the same moment
        db.session.rollback()
        raise ValidationError("该课程的完成记录正在报送，请稍后重试") from None
    PROGRESS.start(row, actor, now, remark="会计学院报送：课程已学完", event="complete")
    return row


@command
def report_evaluation(actor, now, *, cert_number, year, course_code, score,
                      comment=None, evaluated_at=None) -> LessonProgress:
    """The LMS: the learner evaluated a finished lesson (→ 已评价; credited the next day)."""
    target = _target(actor, cert_number, year, course_code)
    if isinstance(score, bool) or not isinstance(score, (int, str)):
        raise ValidationError("评分（score）须为1至5的整数", "score")
    try:
        score = int(str(score).strip())
    except ValueError:
        raise ValidationError("评分（score）须为1至5的整数", "score") from None
    if not 1 <= score <= 5:
        raise ValidationError("评分（score）须为1至5的整数", "score")
    comment = text_value(comment, "comment", "评价内容", 500, required=False) or None
    moment = _moment(evaluated_at, "evaluated_at", "评价时间", target.course.year, now)
    row = _progress(target.person.id, target.course.id)
    if row is None:
        raise ValidationError(f"课程“{target.course.title}”尚未报送学完，不能评价", "course_code")
    if not may(PROGRESS, row, "evaluate", actor, now):
        return row  # evaluated before: the first evaluation stands
    if moment < row.completed_at:
        raise ValidationError("评价时间不能早于完成时间", "evaluated_at")
    row.score, row.comment, row.evaluated_at = score, comment, moment
    PROGRESS.fire(row, "evaluate", actor, now, remark=f"评分{score}")
    return row
