"""预约 and 预约记录 (seed 004 §5–§6): the next seven days' slots with seats left, booking
several approved cases of one type into one slot, 改约, 取消, staff's check-in, the no-show
and 30-day expiry job.

Seats are never exceeded: a booking raises the slot's `taken` with one conditional UPDATE
(`taken + n <= seats`), which the database applies atomically — PostgreSQL re-checks the
condition on the row after waiting for a concurrent booking's lock, SQLite serialises
writers — so of many filers booking the last seats at once, only those that fit succeed.
改约 takes the new seats before freeing the old ones, in one transaction: a full new slot
leaves the old booking as it was.
"""
import datetime as dt

import chinese_calendar
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select, update

from app import clock
from app.workflows.core.bulk import upsert_insert
from app.extensions import db
from app.models import (Account, Appointment, AppointmentStatus, CalendarDay, CaseStatus,
                        MessageKind, RegistrationCase, SlotTemplate, SlotUsage)
from app.workflows.core import wechat
from app.workflows.core.acting import acts_for
from app.workflows.core.calendar import CalendarEvent, ics, method_of
from app.workflows.core.commands import command
from app.workflows.core.errors import ConflictError, DomainError, Problems, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.mail import Attachment, queue_mail
from app.workflows.core.scoping import SystemActor, get_scoped, is_institute, scoped_select
from app.workflows.core.sms import send_sms
from app.workflows.core.states import Guard, Machine, T, Who, institute
from app.workflows.core.institute import identity
from app.workflows.messages import channels, remind
from app.workflows.messages.channels import MAIL
from app.workflows.registration import cases as C
from app.workflows.registration import types as TY

A = AppointmentStatus
DAYS_AHEAD = 7
WEEKDAYS = "一二三四五六日"
DEFAULT_SLOTS = (("09:00", "10:00"), ("10:00", "11:00"), ("13:30", "14:30"), ("14:30", "15:30"),
                 ("15:30", "16:30"))
DEFAULT_SEATS = 12

system_or_institute = C.system_or_institute
# who acts for an appointment is the model's `__actors__` (whoever filed its cases)
filer_or_institute = Who("预约的事务所、注册会计师本人或协会工作人员",
                         lambda actor, item: is_institute(actor) or acts_for(actor, item))


def _before_the_day(item, actor, now):
    if clock.local_today(now) >= item.day:
        return "预约当天及之后不能改约或取消"
    return None


def _on_the_day(item, actor, now):
    if clock.local_today(now) != item.day:
        return f"只能在预约当天（{item.day.isoformat()}）签到"
    return None


def _all_handled(item, actor, now):
    if any(C.MACHINE.permits(case, "visit", actor, now) for case in item.cases):
        return "尚有业务未现场办理"
    return None


before_the_day = Guard("预约日之前", _before_the_day)
on_the_day = Guard("预约当天", _on_the_day)
all_handled = Guard("业务均已现场办理", _all_handled)

MACHINE = Machine("appointment", Appointment, [
    T("cancel", A.BOOKED, A.CANCELLED, "取消", who=filer_or_institute, guards=[before_the_day]),
    # 改约: the state stays, the 流程跟踪 shows the new time (the remark)
    T("reschedule", A.BOOKED, A.BOOKED, "改约", who=filer_or_institute, guards=[before_the_day]),
    T("check_in", A.BOOKED, A.DONE, "签到办理", who=institute, guards=[on_the_day]),
    # the last of its cases handled on its own (the case page's 现场办理) closes it
    T("close", A.BOOKED, A.DONE, "办理完成", who=institute, guards=[all_handled]),
    T("no_show", A.BOOKED, A.NO_SHOW, "未到场", who=system_or_institute),
], labels=AppointmentStatus.LABELS)


# --- the calendar ------------------------------------------------------------------------------

def install_default_slots(session=None) -> int:
    session = session or db.session
    if session.scalar(select(SlotTemplate.id).limit(1)) is not None:
        return 0
    for start, end in DEFAULT_SLOTS:
        session.add(SlotTemplate(start=start, end=end, seats=DEFAULT_SEATS, active=True))
    session.flush()
    return len(DEFAULT_SLOTS)


def is_open(day: dt.date, overrides: dict | None = None) -> bool:
    """A working day: staff's entry if any, else the public holiday table (weekends beyond it)."""
    if overrides is None:
        overrides = {row.day: row.open for row in db.session.scalars(
            select(CalendarDay).where(CalendarDay.day == day))}
    if day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the table does not know yet: weekends only
        return day.weekday() < 5


def weekday_label(day: dt.date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


def slot_label(day: dt.date, start: str) -> str:
    return f"{day.isoformat()} {weekday_label(day)} {start}"


def templates() -> list[SlotTemplate]:
    return list(db.session.scalars(select(SlotTemplate).where(SlotTemplate.active.is_(True))
                                   .order_by(SlotTemplate.start)))


def window(now: dt.datetime) -> list[dt.date]:
    today = clock.local_today(now)
    return [today + dt.timedelta(days=i) for i in range(1, DAYS_AHEAD + 1)]


def grid(now: dt.datetime, last_day: dt.date | None = None) -> list[dict]:
    """The next seven days: each day open or 公休日, each slot with seats left."""
    days = window(now)
    overrides = {row.day: row.open for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(days[0], days[-1])))}
    taken = {(u.day, u.start): u.taken for u in db.session.scalars(
        select(SlotUsage).where(SlotUsage.day.between(days[0], days[-1])))}
    slots = templates()
    result = []
    for day in days:
        open_ = is_open(day, overrides)
        entry = {"date": day.isoformat(), "weekday": weekday_label(day), "open": open_,
                 "slots": []}
        if open_:
            for slot in slots:
                left = max(slot.seats - taken.get((day, slot.start), 0), 0)
                entry["slots"].append({
                    "start": slot.start, "end": slot.end, "seats": slot.seats, "left": left,
                    "noon": "上午" if slot.start < "12:00" else "下午",
                    "late": last_day is not None and day > last_day})
        result.append(entry)
    return result


# --- seats -------------------------------------------------------------------------------------

def _ensure_usage(day: dt.date, start: str) -> None:
    db.session.execute(upsert_insert(SlotUsage.__table__).values(day=day, start=start, taken=0)
                       .on_conflict_do_nothing(index_elements=["day", "start"]))


def take_seats(day: dt.date, slot: SlotTemplate, n: int) -> None:
    """Take n seats of the slot or refuse; atomic against concurrent bookings."""
    _ensure_usage(day, slot.start)
    result = db.session.execute(
        update(SlotUsage).where(SlotUsage.day == day, SlotUsage.start == slot.start,
                                SlotUsage.taken + n <= slot.seats)
        .values(taken=SlotUsage.taken + n).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        left = db.session.scalar(select(SlotUsage.taken).where(
            SlotUsage.day == day, SlotUsage.start == slot.start))
        left = max(slot.seats - (left or 0), 0)
        raise ConflictError(f"{slot_label(day, slot.start)}的时段" + (
            "已约满" if left == 0 else f"仅余{left}个名额，不足{n}人") + "，请选择其他时段")


def free_seats(day: dt.date, start: str, n: int) -> None:
    db.session.execute(
        update(SlotUsage).where(SlotUsage.day == day, SlotUsage.start == start,
                                SlotUsage.taken >= n)
        .values(taken=SlotUsage.taken - n).execution_options(synchronize_session=False))


def _day(day_text) -> dt.date:
    try:
        return day_text if isinstance(day_text, dt.date) else dt.date.fromisoformat(str(day_text))
    except ValueError:
        raise ValidationError("预约日期须为 YYYY-MM-DD", "date") from None


def _template(start) -> SlotTemplate:
    slot = db.session.scalar(select(SlotTemplate).where(
        SlotTemplate.start == str(start or "")[:5], SlotTemplate.active.is_(True)))
    if slot is None:
        raise ValidationError(f"没有{str(start or '')[:5]}开始的预约时段", "start")
    return slot


def _slot(day_text, start) -> tuple[dt.date, SlotTemplate]:
    """(day, slot) of a request, or every mistake of the two at once."""
    problems, day, slot = Problems(), None, None
    with problems.field("date"):
        day = _day(day_text)
    with problems.field("start"):
        slot = _template(start)
    problems.raise_any()
    return day, slot


def _check_day(day: dt.date, now: dt.datetime, cases) -> None:
    days = window(now)
    if day not in days:
        raise ValidationError(f"只能预约{days[0].isoformat()}至{days[-1].isoformat()}的时段", "date")
    if not is_open(day):
        raise ValidationError(f"{day.isoformat()}（{weekday_label(day)}）为公休日，不能预约", "date")
    for case in cases:
        end = C.deadline(case)
        if end is not None and day > clock.local_today(end):
            raise ValidationError(f"{case.name}的{case.case_type}业务办理期限至{clock.display(end)}，"
                                  f"不能预约其后的日期", "date")


def _cases(actor, case_ids) -> list[RegistrationCase]:
    ids = []
    for value in case_ids or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError("请选择要预约的业务", "cases") from None
    if not ids:
        raise ValidationError("请选择要预约的业务", "cases")
    found = [C.get_case(actor, pk) for pk in dict.fromkeys(ids)]
    if len({c.case_type for c in found}) > 1:
        raise ValidationError("不同事项不能同时预约，请选择同一事项的注册会计师", "cases")
    return found


def _book_case(case, actor, now, remark) -> None:
    """The case's 预约 transition; a refusal names the case (the machine says why: not
    waiting for a booking, not the filer's, past its 30 days)."""
    try:
        C.MACHINE.fire(case, "book", actor, now, remark=remark)
    except DomainError as error:
        raise type(error)(f"{case.name}的{case.case_type}业务{error.message}", "cases") from None


# --- messages ------------------------------------------------------------------------------------

def _firm_label(case) -> str:
    return case.firm.name if case.firm is not None else "协会代管"


def _business(case_type: str) -> str:
    return "注册" if case_type == TY.REGISTER else case_type


def tell_booked(appointment: Appointment, now) -> None:
    cases = appointment.cases
    when = slot_label(appointment.day, appointment.start)
    invitation = _invitation(appointment, now)
    C.tell(cases, f"您提交的{C.who_and_what(cases)}业务申请已预约成功，预约时间为[{when}]，"
                  f"请按时前往{identity().service_desk}办理。", now, attachments=invitation)
    filers = {c.filer_id for c in cases}
    bring = TY.BRING.get(appointment.case_type, "相关材料原件")
    for case in cases:
        text = (f"{case.name}您好，您办理的({_firm_label(case)})执业注册会计师"
                f"{_business(case.case_type)}业务已预约成功，预约时间为({when})，请您本人携带"
                f"({bring})按时前往{identity().service_desk}办理。如未按照预约时间到场可能导致办理时间延长，"
                f"或当天无法成功办理(需联系事务所重新预约)")
        if case.mobile:
            send_sms(case.mobile, text, now, kind="预约成功", params=[
                case.name, _firm_label(case), _business(case.case_type), when, bring])
        # seed 004 §6's text reaches the CPA's bound WeChat too (issue 27)
        for member in _person_users(case.person_id):
            wechat.queue_template(member, MessageKind.SYSTEM, "【进度提醒】预约成功", text, now,
                                  link=f"/registration/appointments/{appointment.id}")
            # and the CPA's bound mail, with the calendar invitation (the filer has it above)
            if member.id not in filers and MAIL in (channels.chosen(member, MessageKind.SYSTEM)
                                                     & channels.bound(member)):
                queue_mail(member.account.notify_email, "【进度提醒】预约成功", text, now,
                           attachments=invitation)


def _invitation(appointment: Appointment, now) -> list[Attachment]:
    """The appointment's calendar file for the mails of 预约成功, 改约 (REQUEST, SEQUENCE
    bumped) and 取消 (CANCEL): the same UID, so a mail client updates or removes it."""
    event = event_of(appointment)
    return [Attachment("预约.ics", ics(event, now, sent=True),
                       f"text/calendar; charset=utf-8; method={method_of(event, sent=True)}")]


def _person_users(person_id):
    if person_id is None:
        return []
    return list(db.session.scalars(select(User).join(Account, Account.user_id == User.id)
                                   .where(Account.person_id == person_id)))


def _sms_each(cases, text, now) -> None:
    """One SMS per person of the cases (the mobile on the case), `text(case)`."""
    for case in cases:
        if case.mobile:
            send_sms(case.mobile, text(case), now)


def tell_rescheduled(appointment: Appointment, old: str, now) -> None:
    """改约: the filer and the CPA (message, mail where bound) and the CPA's mobile (SMS)."""
    cases = appointment.cases
    when = slot_label(appointment.day, appointment.start)
    C.tell_all(cases, f"您提交的{C.who_and_what(cases)}业务预约时间已由[{old}]改为[{when}]，"
                      f"请按新的时间前往{identity().service_desk}办理。", now,
               attachments=_invitation(appointment, now))
    bring = TY.BRING.get(appointment.case_type, "相关材料原件")
    _sms_each(cases, lambda case: (
        f"{case.name}您好，您办理的({_firm_label(case)})执业注册会计师{_business(case.case_type)}"
        f"业务预约时间已由({old})改为({when})，请您本人携带({bring})按新的时间前往{identity().service_desk}办理。"),
        now)


def tell_cancelled(cases, appointment: Appointment, actor, now) -> None:
    """取消预约: the filer and the CPA (message, mail where bound) and the CPA's mobile (SMS),
    who had the 预约成功 SMS; saying who cancelled when it was the 协会."""
    if not cases:
        return
    when = slot_label(appointment.day, appointment.start)
    by = f"{identity().abbreviation}工作人员" if is_institute(actor) else ""
    C.tell_all(cases, f"您提交的{C.who_and_what(cases)}业务已{by}取消{when}的预约，"
                      f"请在办理期限内重新预约。", now,
               attachments=_invitation(appointment, now))
    _sms_each(cases, lambda case: (
        f"{case.name}您好，您办理的({_firm_label(case)})执业注册会计师{_business(case.case_type)}"
        f"业务原定({when})的预约已{by}取消，请勿按原时间前往；如需办理请在办理期限内重新预约。"),
        now)


# --- commands ------------------------------------------------------------------------------------

@command
def book(actor, now, case_ids, day, start) -> Appointment:
    """预约: several approved cases of one type into one slot, one seat per person. Every
    mistake of the request (the cases, the date, the time) is named at once."""
    problems, found, slot = Problems(), [], None
    with problems.field("cases"):
        found = _cases(actor, case_ids)
    with problems.field("date"):
        day = _day(day)
    with problems.field("start"):
        slot = _template(start)
    label = slot_label(day, slot.start) if slot is not None and not problems else None
    for case in found:  # the machine refuses each case that may not be booked now
        with problems.field("cases"):
            _book_case(case, actor, now, label)
    problems.raise_any()
    _check_day(day, now, found)
    take_seats(day, slot, len(found))
    first = found[0]
    appointment = Appointment(
        case_type=first.case_type, day=day, start=slot.start, end=slot.end, seats=len(found),
        names="、".join(c.name for c in found)[:500], status=A.BOOKED, firm_id=first.firm_id,
        person_id=first.person_id if first.firm_id is None else None,
        filer_id=first.filer_id,
        created_at=now)
    db.session.add(appointment)
    db.session.flush()
    MACHINE.start(appointment, actor, now)
    for case in found:
        case.appointment = appointment
    db.session.flush()
    tell_booked(appointment, now)
    return appointment


def get_appointment(actor, appointment_id) -> Appointment:
    return get_scoped(db.session, Appointment, appointment_id, actor, "预约记录不存在")


@command
def reschedule(actor, now, appointment_id, day, start) -> Appointment:
    """改约: the new seats are taken first; a full slot leaves the old booking untouched."""
    appointment = get_appointment(actor, appointment_id)
    new_day, slot = _slot(day, start)
    old = slot_label(appointment.day, appointment.start)
    remark = f"改约：由{old}改为{slot_label(new_day, slot.start)}"
    # the machine refuses another state, another filer, the day itself or later
    MACHINE.fire(appointment, "reschedule", actor, now, remark=remark)
    if (new_day, slot.start) == (appointment.day, appointment.start):
        raise ValidationError("新时段与原预约时段相同", "start")
    _check_day(new_day, now, appointment.cases)
    for case in appointment.cases:  # the case's 流程跟踪 shows it too
        C.MACHINE.fire(case, "reschedule", actor, now, remark=remark)
    take_seats(new_day, slot, appointment.seats)
    free_seats(appointment.day, appointment.start, appointment.seats)
    appointment.day, appointment.start, appointment.end = new_day, slot.start, slot.end
    tell_rescheduled(appointment, old, now)
    return appointment


@command
def cancel(actor, now, appointment_id, remark=None) -> Appointment:
    """取消 (before the day): the seats are freed and the cases wait for a booking again."""
    appointment = get_appointment(actor, appointment_id)
    MACHINE.fire(appointment, "cancel", actor, now, remark=remark)
    free_seats(appointment.day, appointment.start, appointment.seats)
    released = list(appointment.cases)
    for case in released:
        C.MACHINE.fire(case, "unbook", actor, now, remark="取消预约")
        case.appointment = None
    tell_cancelled(released, appointment, actor, now)
    return appointment


@command
def check_in(actor, now, appointment_id, remark=None) -> Appointment:
    """签到办理 (staff, on the day): each case moves to its next on-site stage."""
    appointment = get_appointment(actor, appointment_id)
    MACHINE.fire(appointment, "check_in", actor, now, remark=remark)
    for case in appointment.cases:
        if C.MACHINE.permits(case, "visit", actor, now):
            C.handle(actor, now, case.id)
    return appointment


def close_when_all_handled(case, actor, now) -> None:
    """After a case's 现场办理 (subscribed to the case machine's "handle" in the DOMAIN): its
    appointment, if still open, closes when none of its cases waits any more."""
    appointment = case.appointment
    if appointment is not None and any(
            t.event == "close" for t in MACHINE.allowed(appointment, actor, now)):
        MACHINE.fire(appointment, "close", actor, now)


COMMANDS = {"cancel": cancel, "check_in": check_in}


def appointments_select(actor):
    return scoped_select(Appointment, actor)


# --- the daily job ---------------------------------------------------------------------------------

WARN_DAYS = (7, 3)


@job("registration_expiry", "daily:00:30", description="注册业务预约到期处理",
     labels={"no_show": "未到场", "expired": "已过期", "warned": "到期提醒"})
def expiry_job(now: dt.datetime) -> dict:
    return run_expiry(SystemActor("注册业务到期处理"), now)


@command
def run_expiry(actor, now) -> dict:
    """No-shows return to 待预约 (the clock keeps running); past 30 days → 已过期; warnings at
    7 and 3 days left. Idempotent: a second run finds nothing more to do."""
    today = clock.local_today(now)
    counts = {"no_show": 0, "expired": 0, "warned": 0}
    missed = db.session.scalars(select(Appointment).where(
        Appointment.status == A.BOOKED, Appointment.day < today)).all()
    for appointment in missed:
        MACHINE.fire(appointment, "no_show", actor, now)
        waiting = [c for c in appointment.cases if C.MACHINE.permits(c, "visit", actor, now)]
        for case in waiting:
            C.MACHINE.fire(case, "no_show", actor, now, remark="预约日未到场，请重新预约")
            case.appointment = None
        if waiting:
            C.tell(waiting, f"您提交的{C.who_and_what(waiting)}业务未按预约时间"
                            f"（{slot_label(appointment.day, appointment.start)}）到场办理，"
                            f"请在办理期限内重新预约。", now)
        counts["no_show"] += 1
    limit = now - dt.timedelta(days=C.VALID_DAYS)
    for case in db.session.scalars(select(RegistrationCase).where(
            RegistrationCase.status == CaseStatus.APPROVED,
            RegistrationCase.approved_at <= limit)).all():
        C.MACHINE.fire(case, "expire", actor, now,
                       remark=f"审核通过已满{C.VALID_DAYS}天未办理完成")
        C.tell([case], f"您提交的{C.who_and_what([case])}业务审核通过已满{C.VALID_DAYS}天未办理完成，"
                       f"已过期，请重新提交办理材料。", now)
        counts["expired"] += 1
    soon = now - dt.timedelta(days=C.VALID_DAYS - max(WARN_DAYS))
    for case in db.session.scalars(select(RegistrationCase).where(
            RegistrationCase.status.in_(C.MACHINE.states_for("attend")),
            RegistrationCase.approved_at <= soon)).all():
        left = (C.deadline(case) - now).total_seconds() / 86400
        due = [f"{d}天" for d in WARN_DAYS if left <= d]
        user = C.filer_user(case)
        if user is None or not due:
            continue
        text = (f"【进度提醒】您提交的{C.who_and_what([case])}业务办理期限至"
                f"{clock.display(C.deadline(case))}，还剩不足{due[-1]}，请尽快预约并到现场办理，"
                f"逾期须重新提交办理材料。")
        if remind(user, "registration_deadline", case.id, due, now, text[:200], text):
            counts["warned"] += 1
    return counts


# --- calendar file (issue 27) ---------------------------------------------------------------------

def appointment_event(actor, appointment_id, now) -> CalendarEvent:
    """The appointment as a calendar event, for whoever may read it."""
    return event_of(get_appointment(actor, appointment_id))


def event_of(appointment: Appointment) -> CalendarEvent:
    """The appointment as a calendar event: each 改约 bumps SEQUENCE, 取消 cancels it."""
    events = [h.event for h in MACHINE.history(appointment)]
    changes = sum(1 for event in events if event in ("reschedule", "cancel"))
    day, (start, end) = appointment.day, (appointment.start, appointment.end)
    bring = TY.BRING.get(appointment.case_type, "相关材料原件")
    return CalendarEvent(
        uid=f"registration-appointment-{appointment.id}",
        summary=f"{identity().short_name}{appointment.case_type}现场办理（{appointment.names}）",
        start=dt.datetime.combine(day, dt.time.fromisoformat(start)),
        end=dt.datetime.combine(day, dt.time.fromisoformat(end)),
        location=f"{identity().service_desk}（{identity().address}）",
        description=(f"办理事项：{appointment.case_type}，办理人员：{appointment.names}（共"
                     f"{appointment.seats}人）。请本人携带：{bring}。预约时间为北京时间"
                     f"{slot_label(day, start)}，如未按照预约时间到场可能导致办理时间延长。"),
        sequence=changes, cancelled="cancel" in events,
        url=f"/registration/appointments/{appointment.id}")
