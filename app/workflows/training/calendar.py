"""CPA专题培训's calendar file (issue 27 §6): an enrolled class as an event over its days,
with the place and what to bring; refused enrolments (审核未通过) cancel it."""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Enrollment
from app.workflows.core.calendar import CalendarEvent, ics, method_of
from app.workflows.core.mail import Attachment
from app.workflows.core.errors import NotFoundError
from app.workflows.core.scoping import scoped_select
from app.workflows.training.classes import get_class
from app.workflows.training.states import MACHINE

BRING = "本人有效身份证件、笔记本和笔；如有讲义，请提前在“讲义下载”中下载"


def _enrollments(actor, class_id) -> list[Enrollment]:
    return list(db.session.scalars(scoped_select(Enrollment, actor).where(
        Enrollment.class_id == class_id).order_by(Enrollment.id)))


def has_enrollment(actor, class_id) -> bool:
    return db.session.scalar(select(scoped_select(Enrollment, actor).where(
        Enrollment.class_id == class_id).exists())) or False


def class_event(actor, class_id, now) -> CalendarEvent:
    """The class for someone enrolled in it (a member's own enrolment, a firm's staff)."""
    item = get_class(actor, class_id)
    rows = _enrollments(actor, item.id)
    if not rows:
        raise NotFoundError(f"没有报名培训班“{item.name}”，无法下载日历文件")
    return _event(item, rows, now)


def invitation(row: Enrollment, now) -> list[Attachment]:
    """The enrolment's calendar file for the mail of its decision: 审核通过 invites
    (REQUEST), 审核未通过 after it cancels (CANCEL) — the UID of the person's own download."""
    event = _event(row.training_class, [row], now)
    return [Attachment("培训.ics", ics(event, now, sent=True),
                       f"text/calendar; charset=utf-8; method={method_of(event, sent=True)}")]


def _event(item, rows, now) -> CalendarEvent:
    active = [r for r in rows if MACHINE.permits(r, "hold_seat", None, now)]
    names = "、".join(r.name for r in (active or rows))[:200]
    return CalendarEvent(
        uid=f"training-class-{item.id}-{rows[0].firm_id or 'p'}-{rows[0].person_id or 'f'}",
        summary=f"{item.name}（{item.kind}）",
        start=item.start_date, end=item.end_date + dt.timedelta(days=1),
        location=item.location,
        description=(f"培训班：{item.name}；主讲老师：{item.teacher or '—'}；学时：{item.hours}"
                     f"（{item.category}）；参训人员：{names}。请携带：{BRING}。"
                     f"培训时间以北京时间为准。"),
        sequence=0 if active else 1, cancelled=not active,
        url=f"/training/classes/{item.id}")
