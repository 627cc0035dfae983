"""预约 without HTTP: the seven-day grid (公休日, staff's holidays and make-up days, seats left),
one type per booking, one seat per person, 改约 that never loses the old seats, 取消 before the
day, check-in through the on-site stages to 办理完成, the no-show and 30-day expiry job, and
the race: many filers booking the last seats at once never exceed them (real connections)."""
import datetime as dt
import json
import threading

import pytest

from app.models import AppointmentStatus
from app.extensions import db
from app.models import (Appointment, CalendarDay, CaseStatus, Message, OutboxSms,
                        RegistrationCase, SlotTemplate, SlotUsage)
from app.workflows.core.errors import ConflictError, ValidationError
from app.workflows.core.jobs import run_job
from app.workflows.registration import booking, cases
from tests.registration.common import NOW, all_documents, approved_case, setup_tables, user

S = CaseStatus
FRIDAY = dt.date(2026, 12, 4)
MONDAY = dt.date(2026, 12, 7)


@pytest.fixture
def actors(ctx, world):
    setup_tables(ctx)
    return (user(ctx, world.a.admin), user(ctx, world.b.admin), user(ctx, world.staff))


def _taken(ctx, day, start):
    return ctx.query(SlotUsage.taken).filter_by(day=day, start=start).scalar() or 0


def test_the_grid_shows_seven_days_weekends_holidays_and_seats_left(ctx, actors):
    ctx.add(CalendarDay(day=dt.date(2026, 12, 8), open=False, note="临时闭馆"))
    ctx.add(CalendarDay(day=dt.date(2026, 12, 6), open=True, note="调休工作日"))
    ctx.commit()
    days = booking.grid(NOW)
    assert [d["date"] for d in days] == [f"2026-12-{n:02d}" for n in range(4, 11)]
    assert [d["open"] for d in days] == [True, False, True, True, False, True, True]
    assert days[0]["weekday"] == "星期五"
    assert [(s["start"], s["end"], s["left"]) for s in days[0]["slots"]] == [
        ("09:00", "10:00", 12), ("10:00", "11:00", 12), ("13:30", "14:30", 12),
        ("14:30", "15:30", 12), ("15:30", "16:30", 12)]
    # the public holiday table: 2026-10-01 is 国庆节, 2026-10-10 (Sat) a make-up working day
    assert not booking.is_open(dt.date(2026, 10, 1), {})
    assert booking.is_open(dt.date(2026, 12, 7), {})


def test_booking_two_people_rescheduling_and_processing_to_done(ctx, actors):
    a_admin, b_admin, staff = actors
    first = approved_case(ctx, a_admin, staff, name="张三", serial=601)
    second = approved_case(ctx, a_admin, staff, name="李四", serial=602)
    appointment = booking.book(a_admin, NOW, [first.id, second.id], "2026-12-04", "10:00")
    assert (appointment.seats, appointment.names) == (2, "张三、李四")
    assert first.status == second.status == S.BOOKED
    assert _taken(ctx, FRIDAY, "10:00") == 2
    texts = [s.body for s in ctx.query(OutboxSms).order_by(OutboxSms.id)]
    assert texts[0] == (
        "张三您好，您办理的(北京甲会计师事务所（特殊普通合伙）)执业注册会计师注册业务已预约成功，"
        "预约时间为(2026-12-04 星期五 10:00)，请您本人携带(1份注册会计师注册申请表)按时前往"
        "北京注协会员服务部602办理。如未按照预约时间到场可能导致办理时间延长，或当天无法成功办理"
        "(需联系事务所重新预约)")
    assert any("注册会计师[张三等2人][注册申请]业务申请已预约成功" in m.body
               for m in ctx.query(Message).filter_by(user_id=a_admin.id))
    # 改约 to a full slot keeps the old seats; to a free one moves them
    template = ctx.query(SlotTemplate).filter_by(start="09:00").one()
    template.seats = 1
    ctx.commit()
    with pytest.raises(ConflictError, match="仅余1个名额，不足2人"):
        booking.reschedule(a_admin, NOW, appointment.id, "2026-12-07", "09:00")
    assert (appointment.day, appointment.start) == (FRIDAY, "10:00")
    assert _taken(ctx, FRIDAY, "10:00") == 2 and _taken(ctx, MONDAY, "09:00") == 0
    booking.reschedule(a_admin, NOW, appointment.id, "2026-12-07", "13:30")
    assert (appointment.day, appointment.start) == (MONDAY, "13:30")
    assert _taken(ctx, FRIDAY, "10:00") == 0 and _taken(ctx, MONDAY, "13:30") == 2
    with pytest.raises(ValidationError, match="公休日"):
        booking.reschedule(a_admin, NOW, appointment.id, "2026-12-05", "13:30")
    # another firm cannot touch it; on the day it can no longer be cancelled
    from app.workflows.core.errors import NotFoundError
    with pytest.raises(NotFoundError):
        booking.cancel(b_admin, NOW, appointment.id)
    on_the_day = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValidationError, match="预约当天"):
        booking.cancel(a_admin, on_the_day, appointment.id)
    booking.check_in(staff, on_the_day, appointment.id)
    assert appointment.status == AppointmentStatus.DONE
    assert first.status == second.status == S.PROCESSED
    for step in (cases.make_certificate, cases.collect):
        for case in (first, second):
            step(staff, on_the_day, case.id)
    assert first.status == second.status == S.DONE
    states = [h.to_state for h in cases.history(first)]
    assert states == [S.DRAFT, S.SUBMITTED, S.APPROVED, S.BOOKED, S.BOOKED, S.PROCESSED,
                      S.CERT_READY, S.DONE]
    assert cases.history(first)[4].remark == \
        "改约：由2026-12-04 星期五 10:00改为2026-12-07 星期一 13:30"


def test_mixed_types_unapproved_cases_and_closed_days_are_refused(ctx, actors):
    a_admin, _b, staff = actors
    register = approved_case(ctx, a_admin, staff, serial=701)
    data = {"name": "王五", "id_number": register.id_number, "mobile": "13700000701"}
    reissue = cases.save_case(a_admin, NOW, case_type="证书补办", data=data, pledged_at=NOW,
                              uploads=all_documents("证书补办", {}))
    cases.submit(a_admin, NOW, reissue.id)
    with pytest.raises(ValidationError, match="不能预约"):
        booking.book(a_admin, NOW, [reissue.id], "2026-12-04", "09:00")
    cases.approve(staff, NOW, reissue.id)
    with pytest.raises(ValidationError, match="不同事项不能同时预约"):
        booking.book(a_admin, NOW, [register.id, reissue.id], "2026-12-04", "09:00")
    with pytest.raises(ValidationError, match="公休日"):
        booking.book(a_admin, NOW, [register.id], "2026-12-06", "09:00")
    with pytest.raises(ValidationError, match="只能预约2026-12-04至2026-12-10"):
        booking.book(a_admin, NOW, [register.id], "2026-12-11", "09:00")
    with pytest.raises(ValidationError, match="没有08:00开始"):
        booking.book(a_admin, NOW, [register.id], "2026-12-04", "08:00")
    assert ctx.query(Appointment).count() == 0 and ctx.query(SlotUsage.taken).all() in (
        [], [(0,)])


def test_cancel_frees_the_seats_and_the_case_waits_again(ctx, actors):
    a_admin, _b, staff = actors
    case = approved_case(ctx, a_admin, staff)
    appointment = booking.book(a_admin, NOW, [case.id], "2026-12-04", "09:00")
    booking.cancel(a_admin, NOW, appointment.id)
    assert appointment.status == AppointmentStatus.CANCELLED and case.status == S.APPROVED
    assert _taken(ctx, FRIDAY, "09:00") == 0
    assert any("已取消2026-12-04 星期五 09:00的预约" in m.body
               for m in ctx.query(Message).filter_by(user_id=a_admin.id))
    booking.book(a_admin, NOW, [case.id], "2026-12-04", "09:00")
    assert case.status == S.BOOKED


def test_cancel_and_reschedule_tell_the_filer_and_the_cpa(ctx, actors, world):
    """The CPA who got the 预约成功 SMS hears of 改约 and 取消 too (SMS to the case's mobile,
    a message to its own account), as does the filer; 改约 shows in the case's 流程跟踪."""
    from app.models import Account, OutboxMail
    from tests.registration.common import register_case
    a_admin, _b, staff = actors
    cpa_user = user(ctx, world.member)  # 张一, a CPA of firm A with its own sign-in
    ctx.get(Account, cpa_user.id).notify_email = "zhang@example.org"
    ctx.commit()
    case = register_case(ctx, a_admin, name="张一", serial=1, person_id=world.a_people[0])
    cases.submit(a_admin, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    appointment = booking.book(a_admin, NOW, [case.id], "2026-12-04", "10:00")
    booked_sms = ctx.query(OutboxSms).count()

    booking.reschedule(a_admin, NOW, appointment.id, "2026-12-07", "13:30")
    change = "改约：由2026-12-04 星期五 10:00改为2026-12-07 星期一 13:30"
    assert [h.remark for h in cases.history(case)][-1] == change
    assert [h.remark for h in booking.MACHINE.history(appointment)][-1] == change
    sms = ctx.query(OutboxSms).order_by(OutboxSms.id).all()[booked_sms:]
    assert [s.to_mobile for s in sms] == [case.mobile]
    assert "预约时间已由(2026-12-04 星期五 10:00)改为(2026-12-07 星期一 13:30)" in sms[0].body
    for who in (a_admin, cpa_user):
        assert any("预约时间已由[2026-12-04 星期五 10:00]改为[2026-12-07 星期一 13:30]" in m.body
                   for m in ctx.query(Message).filter_by(user_id=who.id)), who.username

    booking.cancel(staff, NOW, appointment.id)
    sms = ctx.query(OutboxSms).order_by(OutboxSms.id).all()[booked_sms + 1:]
    assert [s.to_mobile for s in sms] == [case.mobile]
    assert "原定(2026-12-07 星期一 13:30)的预约已北注协工作人员取消" in sms[0].body
    for who in (a_admin, cpa_user):
        assert any("已北注协工作人员取消2026-12-07 星期一 13:30的预约" in m.body
                   for m in ctx.query(Message).filter_by(user_id=who.id)), who.username
    # 预约成功 (with the calendar invitation), 改约 and 取消 reach the CPA's bound mail
    mails = ctx.query(OutboxMail).filter_by(to_addr="zhang@example.org").order_by(OutboxMail.id)
    assert ["预约成功" in m.subject for m in mails] == [True, False, False]
    assert ["改约为" in m.body or "改为" in m.body for m in mails] == [False, True, False]


def test_no_show_returns_the_case_and_day_31_expires_it_even_if_the_job_was_late(
        app, ctx, actors):
    a_admin, _b, staff = actors
    case = approved_case(ctx, a_admin, staff, name="王五")
    other = approved_case(ctx, a_admin, staff, name="赵六", serial=502)
    appointment = booking.book(a_admin, NOW, [case.id], "2026-12-04", "09:00")
    saturday = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.timezone.utc)
    counts = booking.run_expiry(booking.SystemActor("测试"), saturday)
    assert counts["no_show"] == 1 and appointment.status == AppointmentStatus.NO_SHOW
    assert case.status == S.APPROVED and case.appointment_id is None
    # day 31, the job did not run yet: booking is refused all the same
    late = NOW + dt.timedelta(days=30, hours=1)
    with pytest.raises(ValidationError, match="已过期"):
        booking.book(a_admin, late, [other.id], booking.window(late)[0], "09:00")
    # warnings 7 and 3 days before, once each
    day_24 = NOW + dt.timedelta(days=24)
    assert booking.run_expiry(booking.SystemActor("测试"), day_24)["warned"] == 2
    assert booking.run_expiry(booking.SystemActor("测试"), day_24)["warned"] == 0
    ctx.commit()
    run = run_job("registration_expiry", late)
    assert run.outcome == "成功", run.error
    assert json.loads(run.counts)["expired"] == 2
    db.session.expire_all()
    assert ctx.get(RegistrationCase, case.id).status == S.EXPIRED
    assert ctx.get(RegistrationCase, other.id).status == S.EXPIRED
    texts = [m.body for m in ctx.query(Message).filter_by(user_id=a_admin.id)]
    assert any("已过期，请重新提交办理材料" in t for t in texts)
    assert any("还剩不足7天" in t for t in texts)
    # the filer submits again
    cases.submit(a_admin, late, case.id)
    assert case.status == S.SUBMITTED


def test_many_filers_booking_the_last_seats_at_once_never_exceed_them(app, world):
    """Real concurrent connections (SQLite here; PostgreSQL with TEST_DATABASE_URL)."""
    threads_n, seats = 8, 3
    with app.app_context():
        setup_tables(db.session)
        slot = db.session.query(SlotTemplate).filter_by(start="09:00").one()
        slot.seats = seats
        db.session.commit()
        a_admin, staff = user(db.session, world.a.admin), user(db.session, world.staff)
        ids = [approved_case(db.session, a_admin, staff, name=f"人{i}", serial=800 + i).id
               for i in range(threads_n)]
    start = threading.Barrier(threads_n)
    outcomes = []

    def book_one(case_id):
        with app.app_context():
            actor = user(db.session, world.a.admin)
            start.wait()
            try:
                booking.book(actor, NOW, [case_id], "2026-12-04", "09:00")
                outcomes.append("ok")
            except ConflictError as error:
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book_one, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == threads_n
    assert outcomes.count("ok") == seats, outcomes
    assert all("已约满" in o for o in outcomes if o != "ok")
    with app.app_context():
        assert db.session.query(SlotUsage.taken).filter_by(day=FRIDAY, start="09:00").scalar() \
            == seats
        assert db.session.query(RegistrationCase).filter_by(status=S.BOOKED).count() == seats
