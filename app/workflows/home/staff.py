"""Staff's home: every review queue (count and oldest waiting), today's and tomorrow's
appointments by slot, the fill of open classes, the year's CPE progress, and the firms
with the most people short of the requirement."""
import dataclasses
import datetime as dt

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Appointment, Enrollment, SlotTemplate, TrainingClass
from app.models.registration import AppointmentStatus
from app.workflows import review_centre
from app.workflows.home import cpe
from app.workflows.home.common import Chart, local_day, percent, today
from app.workflows.training.seats import holds_seat


@dataclasses.dataclass
class Queue:
    label: str
    link: str
    count: int
    oldest: dt.date | None  # the day the oldest item began to wait (Beijing)

    def days(self, day: dt.date) -> int | None:
        return None if self.oldest is None else (day - self.oldest).days


@dataclasses.dataclass
class ClassFill:
    class_id: int
    name: str
    start: dt.date
    capacity: int
    taken: int

    @property
    def rate(self):
        return percent(self.taken, self.capacity)


@dataclasses.dataclass
class StaffHome:
    year: int
    today: dt.date
    queues: list
    slots: list       # (slot label, seats, today's booked, tomorrow's booked)
    days: tuple       # (today, next day)
    classes: list
    rates: list
    firms: list
    charts: list


def queues(actor, now) -> list[Queue]:
    """Every queue waiting on the institute, its count and the day its oldest item began
    to wait: read from the review centre (app/workflows/review_centre.py), which takes each
    queue from the domain's own review list — one source of truth for the lists, the 审核中心
    and this page; one count-and-oldest statement per queue (`review_centre.waiting`)."""
    found = []
    for queue, count, oldest in review_centre.waiting(actor, now):
        if isinstance(oldest, dt.datetime):
            oldest = local_day(oldest)
        found.append(Queue(queue.label, f"/review-centre/?kind={queue.name}", count, oldest))
    return found


def slots(day: dt.date):
    """Each active slot with its seats and the seats booked today and on the next day."""
    days = (day, day + dt.timedelta(days=1))
    booked = {(d, start): n for d, start, n in db.session.execute(
        select(Appointment.day, Appointment.start, func.sum(Appointment.seats))
        .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.day.in_(days))
        .group_by(Appointment.day, Appointment.start)).all()}
    templates = db.session.scalars(select(SlotTemplate).where(SlotTemplate.active.is_(True))
                                   .order_by(SlotTemplate.start)).all()
    return [(f"{t.start}-{t.end}", t.seats, int(booked.get((days[0], t.start)) or 0),
             int(booked.get((days[1], t.start)) or 0)) for t in templates], days


def open_classes(day: dt.date, limit: int = 12) -> list[ClassFill]:
    """Classes not yet over, by start: capacity and the seats enrollments hold — counted
    for the classes shown only (not for every class ever held)."""
    shown = (select(TrainingClass.id, TrainingClass.name, TrainingClass.start_date,
                    TrainingClass.capacity).where(TrainingClass.end_date >= day)
             .order_by(TrainingClass.start_date, TrainingClass.id).limit(limit)
             .subquery("shown"))
    held = (select(Enrollment.class_id, func.count().label("n"))
            .where(holds_seat(), Enrollment.class_id.in_(select(shown.c.id)))
            .group_by(Enrollment.class_id).subquery("held"))
    rows = db.session.execute(
        select(shown.c.id, shown.c.name, shown.c.start_date, shown.c.capacity,
               func.coalesce(held.c.n, 0))
        .outerjoin(held, held.c.class_id == shown.c.id)
        .order_by(shown.c.start_date, shown.c.id)).all()
    return [ClassFill(*row) for row in rows]


def staff_home(actor, now) -> StaffHome:
    year, day = clock.to_local(now).year, today(now)
    slot_rows, days = slots(day)
    classes = open_classes(day)
    found = cpe.figures(actor, year)
    rates = found.rates
    charts = [
        Chart("slots", "今明两天预约（按时段，人数）", "bar", [s[0] for s in slot_rows],
              [(f"今天 {days[0].isoformat()}", [s[2] for s in slot_rows]),
               (f"明天 {days[1].isoformat()}", [s[3] for s in slot_rows]),
               ("每时段名额", [s[1] for s in slot_rows])], unit="人"),
        Chart("fill", "开放培训班报名情况", "hbar", [c.name for c in classes],
              [("已报名", [c.taken for c in classes]),
               ("剩余名额", [max(c.capacity - c.taken, 0) for c in classes])],
              unit="人", stacked=True),
        cpe.monthly_hours(year),
        cpe.pass_chart(rates),
    ]
    return StaffHome(year, day, queues(actor, now), slot_rows, days, classes, rates,
                     cpe.firms_at_risk(found), charts)
