"""注册业务 on the core policy layer (issue 25), without HTTP where it is a rule: who acts for a
case and an appointment (`__actors__`), what each state permits (in the machine's words),
改约 as a same-state transition recorded on both machines, the hook that closes an
appointment with its last case; through HTTP where it is a response: every mistake of a form
or a REST call at once, and the CSRF check the app makes on every POST."""
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from app.models import AppointmentStatus
from app.extensions import db
from app.models import Appointment, CaseStatus, RegistrationCase, StatusHistory
from app.workflows.core import acting
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.registration import booking, cases, filers
from tests.helpers import id_number
from tests.registration.common import (NOW, PDF, all_documents, approved_case, managed_cpa, register_case,
                                       setup_tables, user)
from tests.registry.test_api import bearer

S = CaseStatus
FRIDAY = dt.date(2026, 12, 4)


@pytest.fixture
def actors(ctx, world):
    setup_tables(ctx)
    return (user(ctx, world.a.admin), user(ctx, world.b.admin), user(ctx, world.staff),
            user(ctx, world.member))


# --- who acts -----------------------------------------------------------------------------

def test_the_firm_files_for_its_cpas_and_a_managed_cpa_for_itself(ctx, actors, world):
    a_admin, b_admin, staff, member = actors
    firm_case = register_case(ctx, a_admin, name="张一", serial=1, person_id=world.a_people[0])
    person = managed_cpa(ctx)
    managed = user(ctx, person.cert_number)
    own = cases.save_case(managed, NOW, case_type="证书补办", pledged_at=NOW,
                          data={"name": "赵代管", "mobile": "13700009901"},
                          uploads=all_documents("证书补办", {}))
    rows = [firm_case, own]
    # the firm's admin for the firm's case (also about its member); the CPA for its own
    assert [acting.acts_for(a_admin, r) for r in rows] == [True, False]
    assert [acting.acts_for(b_admin, r) for r in rows] == [False, False]
    assert [acting.acts_for(member, r) for r in rows] == [False, False]  # sees, does not act
    assert [acting.acts_for(managed, r) for r in rows] == [False, True]
    assert [acting.acts_for(staff, r) for r in rows] == [False, False]
    ids = [r.id for r in rows]
    for who in (a_admin, b_admin, staff, member, managed):
        in_sql = set(ctx.scalars(select(RegistrationCase.id).where(
            RegistrationCase.id.in_(ids), acting.acting_condition(RegistrationCase, who))))
        assert in_sql == {r.id for r in rows if acting.acts_for(who, r)}, who.username
    # before there is a row: who may file, in the words users saw
    assert [filers.filer_kind(u) for u in (a_admin, managed, member, staff)] == [
        "firm", "managed", None, None]
    with pytest.raises(ForbiddenError, match="协会工作人员负责审核"):
        filers.require_filer(staff)
    with pytest.raises(ForbiddenError, match="请由事务所账号办理"):
        filers.require_filer(member)
    # an appointment is acted for as its cases are
    cases.submit(managed, NOW, own.id)
    cases.approve(staff, NOW, own.id)
    appointment = booking.book(managed, NOW, [own.id], "2026-12-04", "09:00")
    assert acting.acts_for(managed, appointment) and not acting.acts_for(a_admin, appointment)
    assert not acting.acts_for(staff, appointment)
    assert booking.filer_or_institute(staff, appointment)


# --- what a state permits -------------------------------------------------------------------

def test_each_permit_is_refused_in_another_state_in_the_machines_words(ctx, actors):
    a_admin, _b, staff, member = actors
    case = register_case(ctx, a_admin, name="许可", serial=301)
    assert cases.MACHINE.actions(case, a_admin, NOW) == {"edit"}
    with pytest.raises(ForbiddenError, match="只有提交该业务的事务所或注册会计师本人可以修改"):
        cases.MACHINE.require(case, "edit", member, NOW)
    for action, label in (("review", "审核"), ("attend", "到现场办理"), ("visit", "现场办理")):
        with pytest.raises(ValidationError, match=f"当前状态为“未提交”，不能{label}$"):
            cases.MACHINE.require(case, action, staff, NOW)
    cases.submit(a_admin, NOW, case.id)
    assert cases.MACHINE.permits(case, "review", staff, NOW)
    with pytest.raises(ForbiddenError, match="只有协会工作人员可以审核"):
        cases.MACHINE.require(case, "review", a_admin, NOW)
    # 保存 of a case sent for review is refused by the machine, nothing saved
    with pytest.raises(ValidationError, match="当前状态为“已提交待北注协审核”，不能修改"):
        cases.save_case(a_admin, NOW, case.id, data={"name": "改名"})
    assert ctx.get(RegistrationCase, case.id).name == "许可"
    assert cases.waiting_days(case, staff, NOW) == 0
    assert cases.waiting_days(case, a_admin, NOW) is None
    cases.approve(staff, NOW, case.id)
    assert cases.MACHINE.actions(case, a_admin, NOW) == {"attend"}
    with pytest.raises(ValidationError, match="当前状态为“审核通过待预约”，不能现场办理"):
        cases.MACHINE.require(case, "visit", staff, NOW)
    assert cases.MACHINE.states_for("attend") == {S.APPROVED, S.BOOKED}


# --- 改约: a transition that keeps the state -------------------------------------------------

def _history(ctx, entity, pk):
    return ctx.scalars(select(StatusHistory).where(
        StatusHistory.entity == entity, StatusHistory.entity_id == pk)
        .order_by(StatusHistory.id)).all()


def test_reschedule_is_a_same_state_transition_recorded_on_both_machines(ctx, actors):
    a_admin, b_admin, staff, member = actors
    case = approved_case(ctx, a_admin, staff, name="改约人", serial=311)
    appointment = booking.book(a_admin, NOW, [case.id], "2026-12-04", "10:00")
    booking.reschedule(a_admin, NOW, appointment.id, "2026-12-07", "13:30")
    change = "改约：由2026-12-04 星期五 10:00改为2026-12-07 星期一 13:30"
    for entity, pk, state in (("appointment", appointment.id, AppointmentStatus.BOOKED),
                              ("registration_case", case.id, S.BOOKED)):
        last = _history(ctx, entity, pk)[-1]
        assert (last.event, last.from_state, last.to_state, last.remark) == (
            "reschedule", state, state, change)
        assert last.actor_id == a_admin.id
    assert booking.event_of(appointment).sequence == 1
    # the firm's member sees the appointment's case but does not act on it
    with pytest.raises(ForbiddenError,
                       match="只有预约的事务所、注册会计师本人或协会工作人员可以改约"):
        booking.MACHINE.fire(appointment, "reschedule", member, NOW, remark="x")
    # on the day: refused by the machine's guard, nothing moves
    on_the_day = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValidationError, match="不能改约：预约当天及之后不能改约或取消"):
        booking.reschedule(a_admin, on_the_day, appointment.id, "2026-12-08", "09:00")
    booking.cancel(a_admin, NOW, appointment.id)
    with pytest.raises(ValidationError, match="当前状态为“已取消”，不能改约"):
        booking.reschedule(a_admin, NOW, appointment.id, "2026-12-08", "09:00")
    assert booking.event_of(appointment).cancelled
    assert len(_history(ctx, "appointment", appointment.id)) == 3  # 预约, 改约, 取消


def test_booking_lets_the_machine_refuse_each_case_and_names_every_mistake(ctx, actors, world):
    a_admin, _b, staff, member = actors
    case = register_case(ctx, a_admin, name="预约甲", serial=321, person_id=world.a_people[0])
    cases.submit(a_admin, NOW, case.id)
    cases.approve(staff, NOW, case.id)
    draft = register_case(ctx, a_admin, name="草稿乙", serial=322)
    with pytest.raises(ValidationError) as refused:
        booking.book(a_admin, NOW, [case.id, draft.id], "x", "08:00")
    assert refused.value.errors == [
        ("date", "预约日期须为 YYYY-MM-DD"), ("start", "没有08:00开始的预约时段"),
        ("cases", "草稿乙的注册申请业务当前状态为“未提交”，不能预约")]
    assert ctx.get(RegistrationCase, case.id).status == S.APPROVED  # nothing kept
    with pytest.raises(ForbiddenError, match="预约甲的注册申请业务当前状态为“审核通过待预约”，只有"):
        booking.book(member, NOW, [case.id], "2026-12-04", "09:00")
    late = NOW + dt.timedelta(days=31)
    with pytest.raises(ValidationError, match="预约甲的注册申请业务.*不能预约：审核通过已满30天"):
        booking.book(a_admin, late, [case.id], booking.window(late)[0], "09:00")


# --- the hook: the last case handled closes its appointment ------------------------------------

def test_handling_the_last_case_alone_closes_its_appointment(ctx, actors):
    from app.views.registration import DOMAIN

    a_admin, _b, staff, _member = actors
    assert (cases.MACHINE.after("handle"), booking.close_when_all_handled) in DOMAIN.hooks
    assert booking.close_when_all_handled in cases.MACHINE.after("handle").subscribers
    first = approved_case(ctx, a_admin, staff, name="先办", serial=331)
    second = approved_case(ctx, a_admin, staff, name="后办", serial=332)
    appointment = booking.book(a_admin, NOW, [first.id, second.id], "2026-12-04", "09:00")
    cases.handle(staff, NOW, first.id)
    assert appointment.status == AppointmentStatus.BOOKED  # the other still waits
    cases.handle(staff, NOW, second.id)
    assert appointment.status == AppointmentStatus.DONE
    last = _history(ctx, "appointment", appointment.id)[-1]
    assert (last.event, last.to_state) == ("close", AppointmentStatus.DONE)
    # 签到 is for the day itself, in the machine's words
    other = approved_case(ctx, a_admin, staff, name="签到", serial=333)
    booked = booking.book(a_admin, NOW, [other.id], "2026-12-04", "10:00")
    with pytest.raises(ValidationError, match="不能签到办理：只能在预约当天（2026-12-04）签到"):
        booking.check_in(staff, NOW, booked.id)
    the_day = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.timezone.utc)
    booking.check_in(staff, the_day, booked.id)
    assert booked.status == AppointmentStatus.DONE and other.status == S.PROCESSED
    assert [h.event for h in _history(ctx, "appointment", booked.id)] == ["create", "check_in"]


# --- responses: every mistake at once; the app's CSRF check --------------------------------

@pytest.fixture
def ready(app, world):
    with app.app_context():
        setup_tables(db.session)
    return world


def test_a_form_with_two_mistakes_names_both_in_one_response(app, ready, make_client):
    firm = make_client()
    firm.login(ready.a.admin)
    firm.post_form("/registration/new/注册申请")
    bad_id = id_number(341)[:-1] + ("0" if id_number(341)[-1] != "0" else "1")
    form = {"case_type": "注册申请", "action": "save", "csrf_token": firm.token(),
            "name": "两处错", "id_number": bad_id, "mobile": "123", "retired": "否",
            "doc_id_card": (io.BytesIO(PDF), "身份证.pdf")}
    response = firm.post("/registration/save", data=form, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert re.search(r'id="error-id_number">[^<]*校验', page)
    assert re.search(r'id="error-mobile">[^<]*手机号', page)


def test_booking_refused_on_two_fields_says_both_on_the_page_and_in_the_api(app, ready,
                                                                           make_client):
    with app.app_context():
        admin, staff = user(db.session, ready.a.admin), user(db.session, ready.staff)
        pk = approved_case(db.session, admin, staff, name="两处错预约", serial=351).id
    firm = make_client()
    firm.login(ready.a.admin)
    response = firm.post_form("/registration/booking/book",
                              {"cases": str(pk), "date": "x", "start": "08:00"},
                              follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "预约日期须为 YYYY-MM-DD" in page and "没有08:00开始的预约时段" in page
    headers = bearer(firm, ready.a.admin)
    answer = firm.post("/api/v1/appointment/", headers=headers,
                       json={"cases": [pk], "slot": {"date": "x", "start": "08:00"}})
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == {"date": "预约日期须为 YYYY-MM-DD",
                                           "start": "没有08:00开始的预约时段"}
    shape = firm.post("/api/v1/appointment/", headers=headers, json={"cases": 1, "slot": 2})
    assert set(shape.get_json()["errors"]) == {"cases", "slot"}
    with app.app_context():
        assert db.session.get(RegistrationCase, pk).status == S.APPROVED
        assert db.session.query(Appointment).count() == 0


@pytest.mark.parametrize("path", ["/registration/new/注册申请", "/registration/save",
                                  "/registration/case/1/step", "/registration/case/1/review",
                                  "/registration/booking/book",
                                  "/registration/appointments/1/reschedule",
                                  "/registration/appointments/1/cancel",
                                  "/registration/appointments/1/check_in",
                                  "/registration/template/application_form/filled"])
def test_every_post_without_the_csrf_token_is_refused_by_the_app(app, ready, make_client, path):
    """The views' own checks were removed: the app's CSRFProtect answers first."""
    firm = make_client()
    firm.login(ready.staff if "review" in path or "check_in" in path else ready.a.admin)
    response = firm.post(path, data={"verb": "submit", "case_type": "注册申请"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
