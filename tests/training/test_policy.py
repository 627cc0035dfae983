"""CPA专题培训 on the core policy layer (issue 25), without HTTP where it is a rule: who acts
for an enrollment and a waiting-list entry, what each state permits in the machines' words,
the hooks that tie the modules together, review deciding each enrollment on its own — and,
through HTTP, forms that show every mistake at once."""
import datetime as dt
from unittest import mock

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Enrollment, EnrollmentStatus, WaitlistEntry
from app.workflows.core.acting import acting_condition, acts_for
from app.workflows.core.errors import FieldErrors, ForbiddenError, ValidationError
from app.workflows.training import classes, enrollment, review, seats, waitlist
from tests.helpers import NOW, PASSWORD
from tests.training.common import AFTER, CLASS, form, make_class, user


def _enroll(login, class_id, **changes):
    return enrollment.enroll(user(login), NOW, class_id, form(**changes))


# --- who acts --------------------------------------------------------------------------

def test_who_acts_for_an_enrollment_the_firm_the_person_and_staff(ctx, world):
    cls = make_class()
    staff, a_admin, b_admin, member = (user(u) for u in ("staff1", world.a.admin,
                                                         world.b.admin, world.member))
    a_other = _enroll(world.a.admin, cls)
    mine = enrollment.enroll_self(member, NOW, cls)  # the member's own, of firm A
    b_other = _enroll(world.b.admin, cls, name="乙所人", phone="18827250002")
    rows = [a_other, mine, b_other]
    assert [acts_for(a_admin, r) for r in rows] == [True, True, False]
    assert [acts_for(b_admin, r) for r in rows] == [False, False, True]
    assert [acts_for(member, r) for r in rows] == [False, True, False]
    assert [acts_for(staff, r) for r in rows] == [True, True, True]  # staff delete too
    for actor in (staff, a_admin, b_admin, member):
        in_sql = set(db.session.scalars(select(Enrollment.id).where(
            acting_condition(Enrollment, actor))))
        assert in_sql == {r.id for r in rows if acts_for(actor, r)}, actor.username


def test_who_answers_a_waiting_list_entry_the_member_its_own_the_firm_the_firms(ctx, world):
    full = make_class(capacity="1")
    _enroll(world.b.admin, full)
    staff, a_admin, b_admin, member = (user(u) for u in ("staff1", world.a.admin,
                                                         world.b.admin, world.member))
    firm_entry = waitlist.join(a_admin, NOW, full)
    own_entry = waitlist.join(member, NOW, full)
    assert own_entry.firm_id == world.a.id and own_entry.person_id == world.a_people[0]
    rows = [firm_entry, own_entry]
    # the member's entry names firm A, yet only the member answers its offer
    assert [acts_for(a_admin, r) for r in rows] == [True, False]
    assert [acts_for(member, r) for r in rows] == [False, True]
    assert [acts_for(b_admin, r) for r in rows] == [False, False]
    assert [acts_for(staff, r) for r in rows] == [False, False]
    for actor in (staff, a_admin, b_admin, member):
        in_sql = set(db.session.scalars(select(WaitlistEntry.id).where(
            acting_condition(WaitlistEntry, actor))))
        assert in_sql == {r.id for r in rows if acts_for(actor, r)}, actor.username
    with pytest.raises(ForbiddenError, match="只能处理本单位或本人的候补"):
        waitlist.decline(a_admin, NOW, own_entry.id)


# --- what a state permits ------------------------------------------------------------------

def test_what_an_enrollments_state_permits_is_refused_in_the_machines_words(ctx, world):
    cls = make_class()
    staff, a_admin = user("staff1"), user(world.a.admin)
    row = _enroll(world.a.admin, cls)
    machine = review.MACHINE
    assert machine.actions(row, staff, NOW) == {"hold_seat"}
    with pytest.raises(ValidationError, match="当前状态为“未审核”，不能记录培训结果"):
        review.set_result(staff, AFTER, row.id, "合格")
    review.approve(staff, NOW, row.id)
    assert machine.actions(row, staff, NOW) == {"hold_seat", "invited", "record_result"}
    with pytest.raises(ForbiddenError, match="当前状态为“审核通过”，只有协会工作人员可以记录培训结果"):
        machine.require(row, "record_result", a_admin, NOW)
    review.reject(staff, NOW, row.id, remark="名额调整")
    for action, label in (("hold_seat", "占用名额"), ("invited", "日历邀请"),
                          ("record_result", "记录培训结果")):
        with pytest.raises(ValidationError, match=f"当前状态为“审核未通过”，不能{label}"):
            machine.require(row, action, staff, NOW)
    assert machine.states_for("hold_seat") == {EnrollmentStatus.PENDING, EnrollmentStatus.APPROVED}


def test_what_a_waiting_list_entrys_state_permits(ctx, world):
    full = make_class(capacity="1")
    taken = _enroll(world.b.admin, full)
    entry = waitlist.join(user(world.a.admin), NOW, full)
    machine, a_admin = waitlist.MACHINE, user(world.a.admin)
    assert machine.actions(entry, a_admin, NOW) == {"queue"}
    with pytest.raises(ValidationError, match="当前状态为“候补中”，不能保留名额"):
        machine.require(entry, "hold_seat", a_admin, NOW)
    review.reject(user("staff1"), NOW, taken.id, remark="调整")
    db.session.expire_all()
    entry = db.session.get(WaitlistEntry, entry.id)
    assert machine.actions(entry, a_admin, NOW) == {"hold_seat"}
    with pytest.raises(ValidationError, match="当前状态为“待确认”，不能排队"):
        machine.require(entry, "queue", a_admin, NOW)
    late = NOW + dt.timedelta(hours=49)
    with pytest.raises(ValidationError, match="当前状态为“已过期”，不能保留名额"):
        machine.require(entry, "hold_seat", a_admin, late)


# --- hooks ------------------------------------------------------------------------------

def test_the_domain_subscribes_the_waiting_list_and_the_credit_to_what_lower_modules_announce(
        ctx, world):
    assert waitlist.offer_freed_seats in seats.SEAT_FREED.subscribers
    assert waitlist.mark_accepted in seats.OFFER_TAKEN.subscribers
    assert review.recredit_class in classes.CREDIT_CHANGED.subscribers


def test_a_freed_seat_announced_is_offered_to_the_first_in_line(ctx, world):
    full = make_class(capacity="1")
    taken = _enroll(world.b.admin, full)
    entry = waitlist.join(user(world.a.admin), NOW, full)
    item = classes.get_class(user("staff1"), full)
    seats.SEAT_FREED.send(item, user("staff1"), NOW)  # nothing freed: nothing offered
    assert waitlist.MACHINE.state(entry, NOW) == waitlist.WAITING
    enrollment.delete_enrollment(user(world.b.admin), NOW, taken.id)  # announces the seat
    db.session.expire_all()
    assert waitlist.MACHINE.state(db.session.get(WaitlistEntry, entry.id), NOW) == waitlist.OFFERED
    # the firm enrolls on its offer: the enrollment announces it, the entry is 已报名
    row = _enroll(world.a.admin, full, name="候补人", phone="18800002222")
    db.session.expire_all()
    entry = db.session.get(WaitlistEntry, entry.id)
    assert waitlist.MACHINE.state(entry, NOW) == waitlist.ACCEPTED and entry.enrollment_id == row.id


# --- one bulk decision ---------------------------------------------------------------------

def test_review_decides_each_enrollment_alone_taken_and_refused_reported_the_rest_done(
        app, world):
    with app.app_context():
        cls = make_class()
        ids = [_enroll(world.a.admin, cls, name=f"人{n}", phone=f"1882725000{n}").id
               for n in range(4)]
        staff = user("staff1")
        review.approve(staff, NOW, ids[1])  # someone else approved it after the page showed it
        review.reject(staff, NOW, ids[2], remark="非本所人员")  # long refused
    with app.app_context():
        result = review.decide_many(user("staff1"), NOW, "approve", ids,
                                    versions={ids[0]: 1, ids[1]: 1, ids[3]: 1})
        assert [(o.id, o.result) for o in result.outcomes] == [
            (ids[0], "done"), (ids[1], "taken"), (ids[2], "refused"), (ids[3], "done")]
        assert result.messages() == [
            "人1：该记录已被他人处理（当前状态：审核通过），请刷新页面后再审核通过",
            "人2：当前状态为“审核未通过”，不能审核通过"]
        assert result.as_json()["done"] == 2
    with app.app_context():
        E = EnrollmentStatus
        assert [db.session.get(Enrollment, pk).status for pk in ids] == [
            E.APPROVED, E.APPROVED, E.REJECTED, E.APPROVED]


# --- every mistake at once --------------------------------------------------------------

def test_the_class_and_the_enrollment_commands_raise_every_field_error_at_once(ctx, world):
    with pytest.raises(FieldErrors) as raised:
        classes.save_class(user("staff1"), NOW, {**CLASS, "name": "", "capacity": "x",
                                                 "end_date": "2026-11-01"})
    assert [f for f, _m in raised.value.errors] == ["name", "capacity", "end_date"]
    cls = make_class()
    with pytest.raises(FieldErrors) as raised:
        enrollment.enroll(user(world.a.admin), NOW, cls, form(age="abc", phone="123"))
    assert {f for f, _m in raised.value.errors} == {"age", "phone"}
    assert db.session.query(Enrollment).count() == 0


def _signed_in(make_client, login):
    client = make_client()
    assert client.login(login).status_code == 302
    return client


def test_a_form_with_two_mistakes_shows_both_and_the_api_names_both_fields(
        app, world, make_client):
    with app.app_context():
        cls = make_class()
    staff = _signed_in(make_client, "staff1")
    firm = _signed_in(make_client, world.a.admin)
    with mock.patch("app.clock.now", return_value=NOW):
        page = staff.post_form("/training-admin/new", {**CLASS, "name": "", "capacity": "x"})
        text = page.get_data(as_text=True)
        assert page.status_code == 400
        assert "请填写培训班名称" in text and "最大报名人数须为整数" in text
        assert 'value="北京国家会计学院"' in text  # what was typed is kept
        page = firm.post_form(f"/training/classes/{cls}/enroll", form(age="abc", phone="123"))
        text = page.get_data(as_text=True)
        assert "年龄须为整数" in text and "联系电话" in text and 'value="孙助理"' in text
        http = app.test_client()
        token = http.post("/api/v1/security/login", json={
            "username": "staff1", "password": PASSWORD, "provider": "db"}).get_json()[
            "access_token"]
        answer = http.post("/api/v1/training_class/", headers={
            "Authorization": f"Bearer {token}"}, json={**CLASS, "name": "", "capacity": "x"})
    assert answer.status_code == 400
    assert set(answer.get_json()["errors"]) == {"name", "capacity"}
    assert answer.get_json()["errors"]["name"] == "请填写培训班名称"
