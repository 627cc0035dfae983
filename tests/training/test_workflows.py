"""CPA专题培训 rules without HTTP: the catalogue, the manual's form, ticking, seats and
windows, deletion, review by the state machine, results crediting hours, the waiting list
and the reminders."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models import PersonStatus
from app.models import EnrollmentStatus
from app.extensions import db
from app.models import (Enrollment, HourRecord, HourYearTotal, Message, Person, PersonType,
                        StatusHistory, TrainingClass, WaitlistEntry)
from app.workflows.core.errors import ConflictError, DomainError, ForbiddenError, ValidationError
from app.workflows.training import classes, enrollment, reminders, review, waitlist
from app.workflows.hours import ledger
from tests.helpers import NOW
from tests.training.common import AFTER, CLASS, form, make_class, user


@pytest.fixture
def cls(ctx, world):
    return make_class()


def _enroll(login, class_id, when=NOW, **changes):
    return enrollment.enroll(user(login), when, class_id, form(**changes))


# --- the catalogue ---------------------------------------------------------------------

def test_staff_create_a_class_and_bad_input_names_the_field(ctx, world):
    staff = user("staff1")
    item = db.session.get(TrainingClass, make_class())
    assert item.hours == Decimal("16.0") and item.category == "职业道德"
    # 2026-11-20 00:00 in Beijing is 2026-11-19 16:00 UTC
    assert item.enroll_start == dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.timezone.utc)
    for key, value, words in (("name", "", "培训班名称"), ("hours", "abc", "学时"),
                              ("hours", "1e100", "学时"),
                              ("hours", "123456789012345678901234567890.12", "学时"),
                              ("category", "体育", "学时类别"), ("capacity", "0", "最大报名人数"),
                              ("end_date", "2026-11-01", "结束日期"),
                              ("enroll_end", "2026-11-01 00:00", "报名结束时间"),
                              ("enroll_start", "明天", "报名开始时间"),
                              ("audience", "所有人", "培训对象")):
        with pytest.raises(ValidationError) as error:
            classes.save_class(staff, NOW, {**CLASS, key: value})
        assert words in error.value.message and error.value.field == key
    with pytest.raises(ForbiddenError):
        classes.save_class(user(world.a.admin), NOW, CLASS)
    assert db.session.query(TrainingClass).count() == 1


def test_the_catalogue_says_why_enrollment_is_not_offered(ctx, world):
    early = make_class(name="未开始", enroll_start="2026-11-24 00:00")
    over = make_class(name="已结束", enroll_end="2026-11-22 23:59")
    full = make_class(name="已满", capacity="1")
    open_ = make_class(name="可报名")
    _enroll(world.a.admin, full)
    rows = {r.item.name: r for r in classes.catalogue(user(world.a.admin), NOW)}
    assert rows["未开始"].reason == "未到报名时间"
    assert rows["已结束"].reason == "报名已结束"
    assert rows["已满"].reason == "已报满" and rows["已满"].enrolled == 1 and rows["已满"].own == 1
    assert rows["可报名"].reason is None and rows["可报名"].free == 10
    # another firm sees the class's count but not as its own
    other = {r.item.name: r for r in classes.catalogue(user(world.b.admin), NOW)}
    assert other["已满"].enrolled == 1 and other["已满"].own == 0
    for class_id in (early, over, full):
        with pytest.raises(ValidationError) as error:
            _enroll(world.a.admin, class_id, phone="18827250009", name="另一人")
        assert "不能报名" in error.value.message or "已报满" in error.value.message
    assert open_


# --- the manual's form -------------------------------------------------------------------

def test_a_cpa_is_filled_from_the_registry_and_other_needs_no_number(ctx, world, cls):
    row = enrollment.enroll(user(world.a.admin), NOW, cls, {
        "person_kind": "注册会计师", "cert_number": "110100010001", "name": "随便写",
        "phone": "13800000001", "gender": "女"})
    assert (row.name, row.person_id, row.firm_id, row.status, row.result) == (
        "张一", world.a_people[0], world.a.id, EnrollmentStatus.PENDING, "尚未参加培训")
    person = db.session.get(Person, world.a_people[0])
    assert row.gender == person.gender
    other = _enroll(world.a.admin, cls)
    assert other.person_id is None and other.cert_number is None and other.firm_id == world.a.id
    history = db.session.scalars(select(StatusHistory).where(
        StatusHistory.entity == "training_enrollment", StatusHistory.entity_id == row.id)).all()
    assert [h.to_state for h in history] == [EnrollmentStatus.PENDING]


@pytest.mark.parametrize("data, field, words", [
    ({"person_kind": "注册会计师", "cert_number": ""}, "cert_number", "须填写证书编号"),
    ({"person_kind": "注册会计师", "cert_number": "110100020001"}, "cert_number", "不是本所"),
    ({"person_kind": "其他", "cert_number": "110100010001"}, "cert_number", "不要填写证书编号"),
    ({"person_kind": "其他", "name": ""}, "name", "请填写姓名"),
    ({"person_kind": "其他", "phone": ""}, "phone", "请填写联系电话"),
    ({"person_kind": "其他", "phone": "12345"}, "phone", "联系电话"),
    ({"person_kind": "其他", "age": "abc"}, "age", "年龄"),
    ({"person_kind": "学生"}, "person_kind", "人员类型"),
])
def test_the_form_refuses_with_the_field_named(ctx, world, cls, data, field, words):
    with pytest.raises(ValidationError) as error:
        enrollment.enroll(user(world.a.admin), NOW, cls, form(**data))
    assert words in error.value.message and error.value.field == field
    assert db.session.query(Enrollment).count() == 0


def test_a_cpa_only_class_refuses_other(ctx, world):
    only = make_class(audience="注册会计师")
    with pytest.raises(ValidationError) as error:
        _enroll(world.a.admin, only)
    assert error.value.message == "该培训班只允许注册会计师报名"


def test_nobody_twice_in_a_class(ctx, world, cls):
    _enroll(world.a.admin, cls)
    with pytest.raises(ValidationError) as error:
        _enroll(world.a.admin, cls, name="孙助理")
    assert "已报名该培训班" in error.value.message
    cpa = {"person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001"}
    enrollment.enroll(user(world.a.admin), NOW, cls, cpa)
    with pytest.raises(ValidationError):
        enrollment.enroll(user(world.member), NOW, cls, cpa)  # the member: itself, again
    assert db.session.query(Enrollment).count() == 2


# --- ticking several CPAs (seed 003) ----------------------------------------------------------

def _cpas(app_world, count, firm):
    ids = []
    for n in range(count):
        person = Person(person_type=PersonType.CPA, name=f"注师{n}", firm_id=firm,
                        phone=f"1370000{n:04d}", cert_number=f"1101000{n:05d}", gender="女",
                        position="审计员", status=PersonStatus.ACTIVE)
        db.session.add(person)
        db.session.flush()
        ids.append(person.id)
    db.session.commit()
    return ids


def test_ticking_enrolls_all_or_none(ctx, world):
    small = make_class(capacity="4")
    ids = _cpas(world, 5, world.a.id)
    admin = user(world.a.admin)
    with pytest.raises(ValidationError) as error:
        enrollment.enroll_ticked(admin, NOW, small, [{"person_id": i} for i in ids])
    assert "仅剩4个名额" in error.value.message and "未报名任何人" in error.value.message
    assert db.session.query(Enrollment).count() == 0
    rows = enrollment.enroll_ticked(admin, NOW, small, [{"person_id": i} for i in ids[:3]])
    assert [r.channel for r in rows] == ["勾选"] * 3
    # one already enrolled in the batch: nobody of the batch is enrolled
    with pytest.raises(ValidationError) as error:
        enrollment.enroll_ticked(admin, NOW, small, [{"person_id": ids[2]},
                                                     {"person_id": ids[3]}])
    assert "注师2" in error.value.message and "不能重复报名" in error.value.message
    assert db.session.query(Enrollment).count() == 3
    # a person of another firm cannot be ticked
    with pytest.raises(ValidationError) as error:
        enrollment.enroll_ticked(admin, NOW, small, [{"person_id": world.b_people[0]}])
    assert "不是本所人员" in error.value.message
    # a bad mobile in one row names the person
    with pytest.raises(ValidationError) as error:
        enrollment.enroll_ticked(admin, NOW, small, [{"person_id": ids[3], "phone": "123"}])
    assert "注师3" in error.value.message
    assert [p.name for p in enrollment.firm_cpas(admin)][:1] == ["注师0"]


# --- the member ------------------------------------------------------------------------------

def test_a_member_enrolls_itself(ctx, world, cls):
    member = user(world.member)
    row = enrollment.enroll_self(member, NOW, cls)
    assert (row.person_id, row.name, row.channel, row.firm_id) == (
        world.a_people[0], "张一", "本人", world.a.id)
    rows = {r.item.id: r for r in classes.catalogue(member, NOW)}
    assert rows[cls].own_status == EnrollmentStatus.PENDING and rows[cls].own == 1
    with pytest.raises(ForbiddenError):
        enrollment.enroll(member, NOW, cls, form())  # nobody else
    with pytest.raises(ForbiddenError):
        enrollment.enroll_self(user(world.a.admin), NOW, cls)


# --- deletion ------------------------------------------------------------------------------

def test_a_firm_deletes_until_the_class_starts(ctx, world, cls):
    row = _enroll(world.a.admin, cls)
    other = _enroll(world.a.admin, cls, name="赵", phone="18805160001")
    with pytest.raises(DomainError):
        enrollment.delete_enrollment(user(world.b.admin), NOW, row.id)  # not B's
    enrollment.delete_enrollment(user(world.a.admin), NOW, row.id)
    with pytest.raises(ValidationError) as error:
        enrollment.delete_enrollment(user(world.a.admin), AFTER, other.id)
    assert "已开始" in error.value.message
    assert db.session.query(Enrollment).count() == 1


# --- review and results ---------------------------------------------------------------------

def test_staff_review_one_or_many_through_the_machine(ctx, world, cls):
    staff = user("staff1")
    rows = [_enroll(world.a.admin, cls, name=f"人{n}", phone=f"1882725000{n}") for n in range(3)]
    with pytest.raises(ForbiddenError):
        review.approve(user(world.a.admin), NOW, rows[0].id)
    with pytest.raises(ValidationError) as error:
        review.reject(staff, NOW, rows[0].id)
    assert "原因" in error.value.message
    review.reject(staff, NOW, rows[0].id, remark="非本所人员")
    # issue 25: each row is decided on its own — the refused one is reported by name and
    # the others are done (it used to be all or none)
    result = review.decide_many(staff, NOW, "approve", [rows[1].id, rows[0].id])
    assert [(o.id, o.result) for o in result.outcomes] == [(rows[1].id, "done"),
                                                           (rows[0].id, "refused")]
    assert result.messages() == ["人0：当前状态为“审核未通过”，不能审核通过"]
    db.session.expire_all()
    assert db.session.get(Enrollment, rows[1].id).status == EnrollmentStatus.APPROVED
    assert len(review.decide_many(staff, NOW, "approve", [rows[2].id]).done) == 1
    with pytest.raises(ValidationError, match="请先勾选报名人员"):
        review.decide_many(staff, NOW, "approve", [])
    states = [db.session.get(Enrollment, r.id).status for r in rows]
    assert states == [EnrollmentStatus.REJECTED, EnrollmentStatus.APPROVED,
                      EnrollmentStatus.APPROVED]
    history = review.MACHINE.history(db.session.get(Enrollment, rows[0].id))
    assert [(h.to_state, h.remark) for h in history] == [
        (EnrollmentStatus.PENDING, None), (EnrollmentStatus.REJECTED, "非本所人员")]
    # a rejection frees its seat
    assert {r.item.id: r for r in classes.catalogue(staff, NOW)}[cls].enrolled == 2


def test_passing_credits_the_class_hours_once_and_changing_back_withdraws_them(ctx, world, cls):
    staff = user("staff1")
    cpa = enrollment.enroll(user(world.a.admin), NOW, cls, {
        "person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001"})
    other = _enroll(world.a.admin, cls)
    with pytest.raises(ValidationError):
        review.set_result(staff, AFTER, cpa.id, "合格")  # not approved yet
    review.decide_many(staff, NOW, "approve", [cpa.id, other.id])
    with pytest.raises(ValidationError) as error:
        review.set_result(staff, NOW, cpa.id, "合格")
    assert "尚未开始" in error.value.message
    review.set_result(staff, AFTER, cpa.id, "合格")
    review.set_result(staff, AFTER, cpa.id, "合格")  # idempotent
    review.set_result(staff, AFTER, other.id, "合格")  # 其他: no certificate, no hours
    records = db.session.scalars(select(HourRecord)).all()
    assert [(r.person_id, r.hours, r.delivery, r.category, r.source_kind, r.source_id,
             r.obtained_at) for r in records] == [
        (world.a_people[0], Decimal("16.0"), "面授", "职业道德", "training_result", str(cpa.id),
         ledger.obtained_moment(dt.date(2026, 11, 28)))]
    total = db.session.scalars(select(HourYearTotal).where(
        HourYearTotal.person_id == world.a_people[0], HourYearTotal.year == 2026)).one()
    assert (total.total, total.face_to_face, total.ethics) == (160, 160, 160)
    # staff correct the class's hours: the credit follows
    classes.save_class(staff, AFTER, {**CLASS, "hours": "12"}, class_id=cls)
    assert db.session.scalars(select(HourRecord)).one().hours == Decimal("12.0")
    with pytest.raises(ValidationError):
        review.reject(staff, AFTER, cpa.id, remark="x")  # a result is recorded
    review.set_result(staff, AFTER, cpa.id, "不合格")
    assert db.session.query(HourRecord).count() == 0
    db.session.expire_all()
    assert db.session.get(HourYearTotal, total.id).total == 0
    with pytest.raises(ForbiddenError):
        review.set_result(user(world.a.admin), AFTER, cpa.id, "合格")


def test_a_class_pages_results_record_only_changes_of_its_own_enrollments(ctx, world, cls):
    staff = user("staff1")
    mine = _enroll(world.a.admin, cls)
    elsewhere = _enroll(world.a.admin, make_class(name="另一个班"), phone="13800000002")
    review.decide_many(staff, NOW, "approve", [mine.id])
    with pytest.raises(ValidationError, match="所选报名记录不属于该培训班"):
        review.set_class_results(staff, AFTER, cls, {mine.id: "合格", elsewhere.id: "合格"})
    with pytest.raises(ValidationError, match="所选报名记录不属于该培训班"):
        review.set_class_results(staff, AFTER, cls, {987654: "合格"})
    assert db.session.get(Enrollment, mine.id).result == "尚未参加培训"
    assert len(review.set_class_results(staff, AFTER, cls, {mine.id: "合格"}).done) == 1
    with pytest.raises(ValidationError, match="培训结果没有变化"):
        review.set_class_results(staff, AFTER, cls, {mine.id: "合格"})


def test_a_class_pages_results_are_recorded_each_on_its_own(ctx, world, cls):
    """Issue 25: the class page's results were all or none; now each row has its outcome."""
    staff = user("staff1")
    approved = _enroll(world.a.admin, cls)
    pending = _enroll(world.a.admin, cls, name="未审核者", phone="18827250009")
    review.approve(staff, NOW, approved.id)
    ctx.commit()
    result = review.set_class_results(staff, AFTER, cls, {approved.id: "合格",
                                                          pending.id: "不合格"})
    assert [(o.id, o.result) for o in result.outcomes] == [(approved.id, "done"),
                                                           (pending.id, "refused")]
    assert result.messages() == ["未审核者：当前状态为“未审核”，不能记录培训结果"]
    db.session.expire_all()
    assert db.session.get(Enrollment, approved.id).result == "合格"


def test_two_staff_deciding_at_once_the_second_is_told(app, world):
    with app.app_context():
        class_id = make_class()
        row_id = _enroll(world.a.admin, class_id).id
    with app.app_context():
        first = db.session.get(Enrollment, row_id)
        version = first.version
        db.session.execute(Enrollment.__table__.update().where(Enrollment.id == row_id)
                           .values(version=version + 1))  # someone else decided meanwhile
        db.session.commit()
        with pytest.raises((ConflictError, ValidationError)):
            review.MACHINE.fire(first, "approve", user("staff1"), NOW, expected_version=version)


# --- the waiting list --------------------------------------------------------------------------

def test_the_waiting_list_offers_a_freed_seat_for_48_hours_then_moves_on(ctx, world):
    full = make_class(capacity="1")
    staff = user("staff1")
    taken = _enroll(world.a.admin, full)
    with pytest.raises(ValidationError):
        waitlist.join(user(world.a.admin), NOW, make_class(name="有名额"))
    b_entry = waitlist.join(user(world.b.admin), NOW, full)
    m_entry = waitlist.join(user(world.member), NOW + dt.timedelta(minutes=1), full)
    with pytest.raises(ValidationError):
        waitlist.join(user(world.b.admin), NOW, full)  # once
    assert waitlist.MACHINE.state(b_entry, NOW) == waitlist.WAITING and waitlist.position_of(m_entry, NOW) == 2
    review.reject(staff, NOW, taken.id, remark="名额调整")  # a seat frees
    db.session.expire_all()
    b_entry = db.session.get(WaitlistEntry, b_entry.id)
    assert waitlist.MACHINE.state(b_entry, NOW) == waitlist.OFFERED
    assert b_entry.offer_expires_at == NOW + dt.timedelta(hours=48)
    message = db.session.scalars(select(Message).where(Message.firm_id == world.b.id)).one()
    assert "候补" in message.title
    # the seat is held: nobody else takes it, and the catalogue says 已报满
    with pytest.raises(ValidationError):
        _enroll(world.a.admin, full, name="插队", phone="18800000009")
    assert {r.item.id: r for r in classes.catalogue(user(world.a.admin), NOW)}[full].reason \
        == "已报满"
    # expiry: the state is derived from the timestamps, even before any job ran
    late = NOW + dt.timedelta(hours=49)
    assert waitlist.MACHINE.state(b_entry, late) == waitlist.EXPIRED
    assert waitlist.held_count(full, late) == 0
    assert waitlist.move_offers_on(staff, late) == {"offered": 1}
    m_entry = db.session.get(WaitlistEntry, m_entry.id)
    assert waitlist.MACHINE.state(m_entry, late) == waitlist.OFFERED
    with pytest.raises(ValidationError):
        waitlist.accept(user(world.b.admin), late, b_entry.id, form())  # expired
    row = waitlist.accept(user(world.member), late, m_entry.id)  # enrolled, window over
    db.session.expire_all()
    assert row.person_id == world.a_people[0]
    assert waitlist.MACHINE.state(db.session.get(WaitlistEntry, m_entry.id), late) == waitlist.ACCEPTED


def test_declining_moves_the_offer_on_and_raising_the_capacity_offers_seats(ctx, world):
    full = make_class(capacity="1")
    _enroll(world.a.admin, full)
    first = waitlist.join(user(world.b.admin), NOW, full)
    second = waitlist.join(user(world.member), NOW + dt.timedelta(seconds=1), full)
    classes.save_class(user("staff1"), NOW, {**CLASS, "capacity": "2"}, class_id=full)
    db.session.expire_all()
    assert waitlist.MACHINE.state(db.session.get(WaitlistEntry, first.id), NOW) == waitlist.OFFERED
    with pytest.raises(DomainError):  # B's entry: the member of A does not even see it
        waitlist.decline(user(world.member), NOW, first.id)
    waitlist.decline(user(world.b.admin), NOW, first.id)
    db.session.expire_all()
    assert waitlist.MACHINE.state(db.session.get(WaitlistEntry, first.id), NOW) == waitlist.DECLINED
    assert waitlist.MACHINE.state(db.session.get(WaitlistEntry, second.id), NOW) == waitlist.OFFERED
    with pytest.raises(ValidationError) as error:
        classes.save_class(user("staff1"), NOW, {**CLASS, "capacity": "0"}, class_id=full)
    assert "最大报名人数" in error.value.message


# --- reminders ----------------------------------------------------------------------------------

def test_reminders_before_the_window_closes_and_before_the_class_starts(ctx, world, cls):
    _enroll(world.a.admin, cls)
    on_24th = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)  # window closes in a day
    counts = reminders.send_class_reminders(user("staff1"), on_24th)
    assert counts["closing"] == 2 and counts["starting"] == 1  # both firms; A starts on 27th
    assert reminders.send_class_reminders(user("staff1"), on_24th) == {"closing": 0,
                                                                       "starting": 0}
    titles = {m.title for m in db.session.scalars(select(Message).where(
        Message.firm_id == world.a.id))}
    assert any("报名即将截止" in t for t in titles) and any("开班" in t for t in titles)


def test_the_waiting_list_moves_on_the_core_machine_with_history(ctx, world):
    """Join, offer and decline are rows of the entry's 流程跟踪; a step the state does not
    allow is refused in the machine's words; expiry needs no step (the clock decides)."""
    full = make_class(capacity="1")
    _enroll(world.a.admin, full)
    entry = waitlist.join(user(world.b.admin), NOW, full)
    classes.save_class(user("staff1"), NOW, {**CLASS, "capacity": "2"}, class_id=full)
    waitlist.decline(user(world.b.admin), NOW, entry.id)
    db.session.expire_all()
    entry = db.session.get(WaitlistEntry, entry.id)
    steps = [(h.event, h.from_state, h.to_state) for h in waitlist.MACHINE.history(entry)]
    W = waitlist
    assert steps == [("join", None, W.WAITING), ("offer", W.WAITING, W.OFFERED),
                     ("decline", W.OFFERED, W.DECLINED)]
    with pytest.raises(ValidationError) as error:
        waitlist.decline(user(world.b.admin), NOW, entry.id)
    assert "当前状态为“已放弃”，不能放弃候补" in error.value.message
    assert waitlist.MACHINE.state(entry, NOW) == waitlist.DECLINED


def test_the_waiting_lists_sql_counts_read_the_machines_states(ctx, world):
    """held_offers / waiting_counts / positions count in SQL what the machine's declared
    table says, entry by entry, at any moment; the offer's history says until when."""
    full = make_class(capacity="1")
    taken = _enroll(world.a.admin, full)
    offered = waitlist.join(user(world.b.admin), NOW, full)
    waiting = waitlist.join(user(world.member), NOW + dt.timedelta(minutes=1), full)
    review.reject(user("staff1"), NOW, taken.id, remark="名额调整")
    db.session.expire_all()
    entries = db.session.query(WaitlistEntry).filter_by(class_id=full).all()
    for moment in (NOW, NOW + dt.timedelta(hours=49)):
        states = [waitlist.MACHINE.state(e, moment) for e in entries]
        assert waitlist.held_count(full, moment) == states.count(waitlist.OFFERED)
        assert waitlist.waiting_counts([full], moment).get(full, 0) == states.count(waitlist.WAITING)
    assert waitlist.positions(entries, NOW) == {waiting.id: 1}
    assert waitlist.position_of(db.session.get(WaitlistEntry, offered.id), NOW) == 0
    offer = waitlist.MACHINE.history(db.session.get(WaitlistEntry, offered.id))[-1]
    assert (offer.event, offer.remark) == ("offer", "保留至2026-11-25 10:00")
    # a lapsed offer is refused in the machine's words, and nothing moves
    late = NOW + dt.timedelta(hours=49)
    with pytest.raises(ValidationError, match="当前状态为“已过期”，不能接受名额"):
        waitlist.accept(user(world.b.admin), late, offered.id, form())
    assert len(waitlist.MACHINE.history(db.session.get(WaitlistEntry, offered.id))) == 2


# --- issue 22: no mobile-number oracle across firms -------------------------------------

def test_two_firms_enroll_the_same_mobile_and_no_refusal_reveals_another_firm(ctx, world, cls):
    """An 其他 enrollment was unique per class by mobile alone: firm B learned that firm A
    had enrolled mobile M (「…已报名该培训班」) and could not enroll its own person with M."""
    a = _enroll(world.a.admin, cls, name="甲所探测", phone="18827259999")
    b = _enroll(world.b.admin, cls, name="乙所本人", phone="18827259999")
    assert (a.firm_id, b.firm_id) == (world.a.id, world.b.id)
    assert db.session.query(Enrollment).filter_by(phone="18827259999").count() == 2
    # within a firm the same mobile is still one person: refused, naming only the firm's own
    with pytest.raises(ValidationError) as error:
        _enroll(world.b.admin, cls, name="乙所重复", phone="18827259999")
    assert "乙所重复已报名该培训班" in error.value.message
    assert "甲所" not in error.value.message and world.a.code not in error.value.message
