"""Calendar files (issue 27 §6): an appointment and an enrolled class download as .ics
(RFC 5545, parsed back with icalendar) with the place, the time in Asia/Shanghai and what to
bring; 改约 bumps SEQUENCE under the same UID, 取消 makes METHOD:CANCEL; no one else's
appointment or a class one has not enrolled in."""
import datetime as dt
from unittest import mock

from icalendar import Calendar
from zoneinfo import ZoneInfo

from app.extensions import db
from tests.registration.common import NOW as BOOKED_AT, approved_case, setup_tables, user
from tests.core.test_mail import smtp  # noqa: F401 — the loopback SMTP server fixture
from tests.training.common import make_class

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _event(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].startswith("text/calendar; charset=utf-8")
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_an_appointment_downloads_and_its_changes_update_the_same_event(app, world, make_client):
    from app.workflows.registration import booking

    with app.app_context():
        setup_tables(db.session)
        admin, staff = user(db.session, world.a.admin), user(db.session, world.staff)
        case = approved_case(db.session, admin, staff, name="张三", serial=621)
        pk = booking.book(admin, BOOKED_AT, [case.id], "2026-12-04", "10:00").id
    client = make_client()
    client.login(world.a.admin)
    with mock.patch("app.clock.now", return_value=BOOKED_AT):
        page = client.get(f"/registration/appointments/{pk}").get_data(as_text=True)
        assert f"/registration/appointments/{pk}/calendar.ics" in page and "加入日历" in page
        calendar, event = _event(client.get(f"/registration/appointments/{pk}/calendar.ics"))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)
    assert event.decoded("DTEND") == dt.datetime(2026, 12, 4, 11, 0, tzinfo=SHANGHAI)
    assert str(event["DTSTART"].params["TZID"]) == "Asia/Shanghai"
    assert "北京注协会员服务部602" in str(event["LOCATION"])
    assert "1份注册会计师注册申请表" in str(event["DESCRIPTION"])  # what to bring (seed 004 §6)
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (0, "CONFIRMED")
    uid = str(event["UID"])
    with app.app_context():
        booking.reschedule(user(db.session, world.a.admin), BOOKED_AT, pk, "2026-12-07", "13:30")
    with mock.patch("app.clock.now", return_value=BOOKED_AT):
        _calendar, moved = _event(client.get(f"/registration/appointments/{pk}/calendar.ics"))
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == dt.datetime(2026, 12, 7, 13, 30, tzinfo=SHANGHAI)
    with app.app_context():
        booking.cancel(user(db.session, world.a.admin), BOOKED_AT, pk)
    with mock.patch("app.clock.now", return_value=BOOKED_AT):
        calendar, gone = _event(client.get(f"/registration/appointments/{pk}/calendar.ics"))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert (str(gone["UID"]), int(gone["SEQUENCE"]), str(gone["STATUS"])) == (uid, 2, "CANCELLED")
    # another firm's admin reaches nothing
    other = make_client()
    other.login(world.b.admin)
    assert other.get(f"/registration/appointments/{pk}/calendar.ics").status_code == 404


def test_an_enrolled_class_downloads_as_a_calendar_event(app, world, make_client):
    from tests.helpers import NOW

    with app.app_context():
        class_id = make_class()
    client = make_client()
    client.login(world.member)
    with mock.patch("app.clock.now", return_value=NOW):
        page = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
        assert "加入日历" not in page  # not enrolled: no button, and no file
        assert client.get(f"/training/classes/{class_id}/calendar.ics").status_code == 404
        client.post_form(f"/training/classes/{class_id}/self")
        page = client.get(f"/training/classes/{class_id}").get_data(as_text=True)
        assert "加入日历" in page
        calendar, event = _event(client.get(f"/training/classes/{class_id}/calendar.ics"))
    assert event.decoded("DTSTART") == dt.date(2026, 11, 27)
    assert event.decoded("DTEND") == dt.date(2026, 11, 29)  # through the 28th, inclusive
    assert str(event["LOCATION"]) == "北京国家会计学院"
    assert "本人有效身份证件" in str(event["DESCRIPTION"])
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    other = make_client()
    other.login(world.b.admin)
    with mock.patch("app.clock.now", return_value=NOW):
        assert other.get(f"/training/classes/{class_id}/calendar.ics").status_code == 404


def test_a_bound_cpa_gets_the_booking_its_change_and_its_cancellation_as_calendar_mails(
        app, world, make_client, smtp):
    """预约成功, 改约 and 取消 each mail the CPA (bound e-mail) the appointment's .ics over real
    SMTP: one UID, SEQUENCE rising, REQUEST then CANCEL, the time in Asia/Shanghai; the
    stored attachment is nobody's download."""
    from app.models import Account, OutboxMail, StoredFile
    from app.workflows.core import mail
    from app.workflows.registration import booking, cases
    from tests.core.test_mail import deliver
    from tests.registration.common import register_case

    with app.app_context():
        setup_tables(db.session)
        admin, staff = user(db.session, world.a.admin), user(db.session, world.staff)
        cpa = user(db.session, world.member)
        db.session.get(Account, cpa.id).notify_email = "zhang@example.org"
        db.session.commit()
        case = register_case(db.session, admin, name="张一", serial=1, person_id=world.a_people[0])
        cases.submit(admin, BOOKED_AT, case.id)
        cases.approve(staff, BOOKED_AT, case.id)
        pk = booking.book(admin, BOOKED_AT, [case.id], "2026-12-04", "10:00").id
    assert deliver(app, BOOKED_AT)[1]["sent"] >= 1
    with app.app_context():
        booking.reschedule(user(db.session, world.a.admin), BOOKED_AT, pk, "2026-12-07", "13:30")
    deliver(app, BOOKED_AT)
    with app.app_context():
        booking.cancel(user(db.session, world.staff), BOOKED_AT, pk)
    deliver(app, BOOKED_AT)

    received = [message for rcpt, message in smtp.messages if rcpt == ["zhang@example.org"]]
    assert len(received) == 3
    seen = []
    for message in received:
        [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert part.get_filename() == "预约.ics"
        assert "预约" in message.get_body(("plain",)).get_content()
        calendar = Calendar.from_ical(part.get_content().encode())
        assert part.get_param("method") == str(calendar["METHOD"])
        [event] = calendar.walk("VEVENT")
        assert str(event["DTSTART"].params["TZID"]) == "Asia/Shanghai"
        assert "北京注协会员服务部602" in str(event["LOCATION"])
        seen.append((str(calendar["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]),
                     event.decoded("DTSTART"), str(event["STATUS"])))
    assert [s[0] for s in seen] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({s[1] for s in seen}) == 1 and seen[0][1].startswith("registration-appointment-")
    assert [s[2] for s in seen] == [0, 1, 2]
    assert [s[3] for s in seen] == [dt.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI),
                                    dt.datetime(2026, 12, 7, 13, 30, tzinfo=SHANGHAI),
                                    dt.datetime(2026, 12, 7, 13, 30, tzinfo=SHANGHAI)]
    assert seen[-1][4] == "CANCELLED"

    with app.app_context():  # kept in the one file store, owned by the outbox row
        stored = db.session.query(StoredFile).filter_by(owner_kind=mail.OWNER_MAIL).all()
        to_cpa = {m.id for m in db.session.query(OutboxMail).filter_by(to_addr="zhang@example.org")}
        assert to_cpa <= {row.owner_id for row in stored}
        file_id = stored[0].id
    for who in (world.member, world.a.admin):  # not a download for the addressee nor the firm
        client = make_client()
        client.login(who)
        assert client.get(f"/messages/attachment/{file_id}").status_code == 404
    client = make_client()
    client.login(world.staff)
    assert client.get(f"/messages/attachment/{file_id}").status_code == 200


def test_an_enrolment_approved_then_refused_mails_the_class_then_its_cancellation(
        app, world, make_client, smtp):
    """审核通过 mails the member (bound e-mail) the class as a REQUEST; 审核未通过 after it
    mails the CANCEL of the same event."""
    from app.models import Account, Enrollment
    from app.workflows.training import review
    from tests.core.test_mail import deliver
    from tests.helpers import NOW

    with app.app_context():
        class_id = make_class()
        db.session.get(Account, user(db.session, world.member).id).notify_email = "zhang@example.org"
        db.session.commit()
    client = make_client()
    client.login(world.member)
    with mock.patch("app.clock.now", return_value=NOW):
        client.post_form(f"/training/classes/{class_id}/self")
    with app.app_context():
        [row] = db.session.query(Enrollment).filter_by(class_id=class_id).all()
        pk = row.id
        review.approve(user(db.session, world.staff), NOW, pk)
    deliver(app, NOW)
    with app.app_context():
        review.reject(user(db.session, world.staff), NOW, pk, remark="名额调整")
    deliver(app, NOW)

    received = [m for rcpt, m in smtp.messages if rcpt == ["zhang@example.org"]]
    assert ["审核通过" in str(m["Subject"]) for m in received] == [True, False]
    seen = []
    for message in received:
        [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert part.get_filename() == "培训.ics"
        calendar = Calendar.from_ical(part.get_content().encode())
        [event] = calendar.walk("VEVENT")
        seen.append((str(calendar["METHOD"]), part.get_param("method"), str(event["UID"]),
                     int(event["SEQUENCE"]), event.decoded("DTSTART")))
    assert [s[:2] for s in seen] == [("REQUEST", "REQUEST"), ("CANCEL", "CANCEL")]
    assert seen[0][2] == seen[1][2] and [s[3] for s in seen] == [0, 1]
    assert seen[0][4] == dt.date(2026, 11, 27)
    with mock.patch("app.clock.now", return_value=NOW):  # the download's own UID is the same
        _calendar, downloaded = _event(client.get(f"/training/classes/{class_id}/calendar.ics"))
    assert str(downloaded["UID"]) == seen[0][2]
