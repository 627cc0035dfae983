"""A member's home (注册会计师, 非执业会员, 其他从业人员, 协会代管): its own hours this year
against the requirement, with what is missing in words, and its own business in flight."""
import dataclasses
import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (Appointment, Enrollment, HourApplication, Person, RegistrationCase,
                        TrainingClass)
from app.models.registration import AppointmentStatus, CaseStatus
from app.workflows.applications import rules as applications
from app.workflows.core.acting import acting_person
from app.workflows.core.scoping import scoped_select
from app.workflows.home.common import Chart, local_day, today
from app.workflows.hours.rules import (GAPS, effective_requirement, fmt_min, missing_words,
                                       requirement_for, year_gap_select)
from app.workflows.learning import member as learning
from app.workflows.learning.rules import LEARNERS
from app.workflows.messages.inbox import unread_counts
from app.workflows.registration import cases as registration
from app.workflows.registry import transfers
from app.workflows.training.states import MACHINE as ENROLLMENT

RECENT = 5


@dataclasses.dataclass
class Measure:
    """One line of 学员年度学时: what the year asks (0: nothing), what the member has toward
    it, what is still missing — the words of `missing_words` (rules.GAPS)."""
    label: str
    done: Decimal
    required: Decimal
    missing: Decimal

    @property
    def required_text(self) -> str:  # 「16」, as the words write a minimum
        return fmt_min(self.required)

    @property
    def missing_text(self) -> str:
        return fmt_min(self.missing)


# (rules.GAPS key of what is missing, the row's column of what is done, the minimum)
MEASURES = {"missing_counted": ("counted", "min_total"),
            "missing_face_to_face": ("face_to_face", "min_face_to_face"),
            "missing_input": ("input_hours", "min_input"),
            "missing_ethics": ("ethics", "min_ethics"),
            "missing_sizheng": ("sizheng", "min_sizheng")}
# shown even when the year asks nothing of them; 投入式及课程 only where it is asked
# (非执业会员), as 学员年度学时 does
ALWAYS = ("missing_counted", "missing_face_to_face", "missing_ethics", "missing_sizheng")


@dataclasses.dataclass
class Hours:
    row: object        # year_gap_select's row: obtained, counted, …, passed, required, gap
    requirement: object
    missing: str       # 「还差面授 8 学时、职业道德 2 学时」, '' when met
    verdict: str
    measures: list     # [Measure]: the box's lines and the chart's bars, in the words' order

    @property
    def caps(self) -> tuple[str, str]:
        """(网络课程, 产出式): the most of each that counts toward 有效学时."""
        return fmt_min(self.requirement.cap_online), fmt_min(self.requirement.cap_output)


def measures(row, requirement) -> list[Measure]:
    found = []
    for key, label in GAPS:
        done, minimum = MEASURES[key]
        required = Decimal(getattr(requirement, minimum))
        if required > 0 or key in ALWAYS:
            found.append(Measure(label, Decimal(getattr(row, done) or 0), required,
                                 Decimal(getattr(row, key) or 0)))
    return found


@dataclasses.dataclass
class Learning:
    institute: str | None
    courses: int
    credited_courses: int
    credited_hours: Decimal
    required_left: int
    fee: str | None


@dataclasses.dataclass
class MemberHome:
    person: Person
    year: int
    today: dt.date
    hours: Hours
    charts: list
    learning: Learning | None
    applications: list   # (application, status label)
    application_counts: dict
    enrollments: list    # (enrollment, class, status label)
    cases: list          # (case, status label, deadline date or None)
    appointments: list
    transfers: list
    unread: dict


def own_hours(person: Person, year: int) -> Hours:
    """The member's year as 学员年度学时 computes it (one SQL, one source of truth)."""
    row = db.session.execute(year_gap_select(db.session, year)
                             .where(Person.id == person.id)).one()
    requirement = effective_requirement(requirement_for(db.session, year, person.person_type),
                                        person.person_type, bool(row.exempt))
    if not row.required:
        verdict = "豁免" if row.exempt else "本年度无学时要求"
    else:
        verdict = "已达标" if row.passed else "未达标"
    return Hours(row, requirement, missing_words(row), verdict, measures(row, requirement))


def hours_chart(hours: Hours) -> Chart:
    """The box's measures as bars: 已完成 (有效学时 after the online / 产出式 caps) beside
    the year's 要求 and what is 还差 — the same figures as the words."""
    lines = hours.measures
    return Chart("mine", "本年度学时与要求", "bar", [m.label for m in lines],
                 [("已完成", [m.done for m in lines]), ("要求", [m.required for m in lines]),
                  ("还差", [m.missing for m in lines])], unit="学时")


def _learning(actor, person, year, now) -> Learning | None:
    if person.person_type not in LEARNERS:
        return None
    seen = learning.overview(person, year, now)
    if seen.choice is None:
        return Learning(None, 0, 0, Decimal(0), 0, None)
    fee = None
    if seen.fee is not None:
        fee = "已缴费" if seen.fee.paid_at is not None else "待缴费"
    return Learning(seen.choice.institute.name, len(seen.lines),
                    sum(1 for line in seen.lines if line.progress is not None
                        and line.progress.credited_at is not None),
                    seen.credited_hours, len(seen.required_left), fee)


def member_home(actor, now) -> MemberHome:
    person = acting_person(actor)
    local = clock.to_local(now)
    year, day = local.year, today(now)
    hours = own_hours(person, year)
    apps = db.session.scalars(scoped_select(HourApplication, actor)
                              .order_by(HourApplication.id.desc()).limit(RECENT)).all()
    counts = dict(db.session.execute(
        select(HourApplication.status, func.count()).where(HourApplication.person_id == person.id)
        .group_by(HourApplication.status)).all())
    enrollments = db.session.execute(
        scoped_select(Enrollment, actor).add_columns(TrainingClass)
        .join(TrainingClass, TrainingClass.id == Enrollment.class_id)
        .where(TrainingClass.end_date >= day - dt.timedelta(days=30))
        .order_by(TrainingClass.start_date).limit(10)).all()
    open_cases = db.session.scalars(
        scoped_select(RegistrationCase, actor).where(RegistrationCase.status != CaseStatus.DONE)
        .order_by(RegistrationCase.id.desc()).limit(10)).all()
    appointments = db.session.scalars(
        scoped_select(Appointment, actor).where(Appointment.status == AppointmentStatus.BOOKED,
                                                Appointment.day >= day)
        .order_by(Appointment.day, Appointment.start).limit(10)).all()
    return MemberHome(
        person, year, day, hours, [hours_chart(hours)], _learning(actor, person, year, now),
        [(a, applications.MACHINE.label_of(a.status)) for a in apps],
        {applications.MACHINE.label_of(s): n for s, n in counts.items()},
        [(e, c, ENROLLMENT.label_of(e.status)) for e, c in enrollments],
        # the 办理期限 to book by, while the case waits for a booking
        [(c, registration.MACHINE.label_of(c.status), local_day(registration.deadline(c))
          if registration.MACHINE.state_allows(c, "book") else None) for c in open_cases],
        appointments, transfers.pending_for(actor, now), unread_counts(actor))
