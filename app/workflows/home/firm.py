"""A firm admin's home: 待办, soonest deadline first, and its people's CPE this year.

Each kind of 待办 is one scoped query (the firm sees only its own rows, as in its lists);
the deadlines are the rules' own: a class is reported 7 days before it starts
(inhouse.classes.REPORT_DAYS), a roster uploaded within 15 days of the end
(inhouse.roster.ROSTER_DAYS), an approved case handled within 30 days
(registration.cases.deadline), a transfer decided before it lapses.
"""
import dataclasses
import datetime as dt

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (Appointment, InhouseClass, InhouseRosterEntry, Message, MessageKind,
                        PersonTransfer, RegistrationCase)
from app.models.inhouse import EntryStatus, ReviewStatus
from app.models.messages import Consultation
from app.models.registration import AppointmentStatus, CaseStatus
from app.models.registry import TransferStatus
from app.workflows.core.acting import acting_firm
from app.workflows.core.scoping import scope_condition, scoped_select
from app.workflows.home import cpe
from app.workflows.home.common import Todo, local_day, today
from app.workflows.inhouse.classes import REPORT_DAYS
from app.workflows.inhouse.roster import ROSTER_DAYS
from app.workflows.messages.consultations import awaiting_condition
from app.workflows.registration.cases import VALID_DAYS

LIMIT = 50  # rows of one kind at most (the list it links to has the rest)
WEEK = 7


@dataclasses.dataclass
class FirmHome:
    firm: object
    year: int
    today: dt.date
    todos: list
    rates: list
    charts: list
    at_risk: list
    at_risk_total: int


def _classes_to_report(actor, day):
    """Classes sent back (审核未通过) that may still be reported: by 7 days before the start."""
    rows = db.session.scalars(
        scoped_select(InhouseClass, actor)
        .where(InhouseClass.status == ReviewStatus.REJECTED,
               InhouseClass.start_date >= day + dt.timedelta(days=REPORT_DAYS))
        .order_by(InhouseClass.start_date).limit(LIMIT))
    return [Todo("内部培训班待重新上报", f"{c.name}（{c.start_date.isoformat()} 开班）",
                 c.start_date - dt.timedelta(days=REPORT_DAYS), f"/inhouse/classes/{c.id}/edit",
                 f"审核未通过{('：' + c.remark) if c.remark else ''}，须在开班前{REPORT_DAYS}天上报")
            for c in rows]


def _rosters_closing(actor, day):
    """Approved classes under way or ended whose 15-day roster window is still open."""
    entries = (select(InhouseRosterEntry.class_id, func.count().label("n"))
               .group_by(InhouseRosterEntry.class_id).subquery("entries"))
    rows = db.session.execute(
        scoped_select(InhouseClass, actor).add_columns(func.coalesce(entries.c.n, 0))
        .outerjoin(entries, entries.c.class_id == InhouseClass.id)
        .where(InhouseClass.status == ReviewStatus.APPROVED, InhouseClass.start_date <= day,
               InhouseClass.end_date >= day - dt.timedelta(days=ROSTER_DAYS))
        .order_by(InhouseClass.end_date).limit(LIMIT)).all()
    return [Todo("学员名单导入截止", f"{c.name}（已上报 {n} 人）",
                 c.end_date + dt.timedelta(days=ROSTER_DAYS), f"/inhouse/classes/{c.id}/roster",
                 f"培训结束后{ROSTER_DAYS}天内导入通过人员名单")
            for c, n in rows]


def _entries_refused(actor, day):
    """Roster lines refused, per class (the window to correct them is the roster's)."""
    rows = db.session.execute(
        select(InhouseClass.id, InhouseClass.name, InhouseClass.end_date, func.count())
        .select_from(InhouseRosterEntry)
        .join(InhouseClass, InhouseClass.id == InhouseRosterEntry.class_id)
        .where(scope_condition(InhouseRosterEntry, actor),
               InhouseRosterEntry.status == EntryStatus.REJECTED)
        .group_by(InhouseClass.id, InhouseClass.name, InhouseClass.end_date)
        .order_by(InhouseClass.end_date).limit(LIMIT)).all()
    todos = []
    for class_id, name, end, n in rows:
        closes = end + dt.timedelta(days=ROSTER_DAYS)
        todos.append(Todo("内培学员审核未通过", f"{name}：{n} 名学员",
                          closes if closes >= day else None,
                          f"/inhouse/classes/{class_id}/roster", "请核对后修改或重新导入"))
    return todos


def _cases(actor, now):
    rejected = db.session.scalars(
        scoped_select(RegistrationCase, actor).where(RegistrationCase.status == CaseStatus.REJECTED)
        .order_by(RegistrationCase.decided_at).limit(LIMIT))
    todos = [Todo("注册业务审核不通过", f"{c.case_type}：{c.name}", None,
                  f"/registration/case/{c.id}", "请按退回原因修改后重新提交") for c in rejected]
    approved = db.session.scalars(
        scoped_select(RegistrationCase, actor).where(RegistrationCase.status == CaseStatus.APPROVED,
                                                     RegistrationCase.approved_at.is_not(None))
        .order_by(RegistrationCase.approved_at).limit(LIMIT))
    todos += [Todo("注册业务待预约", f"{c.case_type}：{c.name}",
                   local_day(c.approved_at + dt.timedelta(days=VALID_DAYS)),
                   "/registration/booking/",
                   f"审核通过后{VALID_DAYS}天内须到现场办理，逾期作废")
              for c in approved]
    return todos


def _appointments(actor, day):
    rows = db.session.scalars(
        scoped_select(Appointment, actor).where(
            Appointment.status == AppointmentStatus.BOOKED, Appointment.day >= day,
            Appointment.day < day + dt.timedelta(days=WEEK))
        .order_by(Appointment.day, Appointment.start).limit(LIMIT))
    return [Todo("本周预约", f"{a.case_type}：{a.names}", a.day, f"/registration/appointments/{a.id}",
                 "请按时到协会现场办理", when=f"{a.day.isoformat()} {a.start}-{a.end}")
            for a in rows]


def _transfers(firm, now):
    """People the firm's list named who are registered elsewhere: each decides itself (or
    staff approve); the firm sees how many wait and the first lapse, never their names."""
    if firm is None:
        return []
    count, first = db.session.execute(
        select(func.count(), func.min(PersonTransfer.expires_at)).where(
            PersonTransfer.to_firm_id == firm.id, PersonTransfer.status == TransferStatus.PENDING,
            PersonTransfer.expires_at > now)).one()
    if not count:
        return []
    return [Todo("人员转入待确认", f"{count} 名人员转入本所待本人确认或协会批准", local_day(first),
                 "/staffrosterview/list/", "请提醒本人登录后在“人员转入确认”中确认")]


def _consultations(actor):
    rows = db.session.scalars(select(Consultation).where(awaiting_condition(actor))
                              .order_by(Consultation.updated_at).limit(LIMIT))
    return [Todo("咨询待回复", c.subject, None, f"/messages/consultation/{c.id}",
                 f"待贵所回复（{clock.display(c.updated_at)}）") for c in rows]


def _notices(actor):
    rows = db.session.scalars(
        select(Message).where(Message.user_id == actor.id, Message.kind == MessageKind.NOTICE,
                              Message.read_at.is_(None))
        .order_by(Message.created_at.desc()).limit(LIMIT))
    return [Todo("未读通知", m.title, None, f"/messages/show/{m.id}",
                 clock.display(m.created_at)) for m in rows]


def todos(actor, now) -> list[Todo]:
    """Everything that needs the firm, soonest deadline first (no deadline last)."""
    day = today(now)
    items = (_classes_to_report(actor, day) + _rosters_closing(actor, day)
             + _entries_refused(actor, day) + _cases(actor, now) + _appointments(actor, day)
             + _transfers(acting_firm(actor), now) + _consultations(actor) + _notices(actor))
    return sorted(items, key=Todo.key)


def firm_home(actor, now) -> FirmHome:
    year = clock.to_local(now).year
    found = cpe.figures(actor, year)
    return FirmHome(acting_firm(actor), year, today(now), todos(actor, now), found.rates,
                    [cpe.pass_chart(found.rates), cpe.category_chart(found)],
                    cpe.at_risk(actor, year), found.short_total)
