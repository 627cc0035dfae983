"""网络学习 workflows without HTTP: one locked choice a year, the LMS reporting only for its
own learners, required before elective for CPAs, evaluation before credit, the next-day
run crediting each lesson once, and the fee gate for 非执业会员."""
import datetime as dt
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User

from app.models import ProgressStatus
from app.models import FeeStatus
from app.extensions import db
from app.models import (HourRecord, InstituteChoice, LearningFee, LearningInstitute,
                        LessonProgress, Message, Person, SourceKind, StatusHistory)
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.core.scoping import SystemActor
from app.workflows.hours.rules import person_year
from app.workflows.learning import crediting, fees, lms, rules
from app.workflows.learning import member as learning_member
from tests.helpers import NOW
from tests.learning.world import YEAR, build

DAY = dt.timedelta(days=1)
SYSTEM = SystemActor("定时任务")


def _user(name):
    return db.session.query(User).filter_by(username=name).one()


@pytest.fixture
def w(app, world):
    extra = build(app, world)
    with app.app_context():
        yield world, extra


def _post(account, cert, code, score=5, at=NOW, evaluate=True):
    lms.report_completion(_user(account), at, cert_number=cert, year=YEAR, course_code=code)
    if evaluate:
        return lms.report_evaluation(_user(account), at, cert_number=cert, year=YEAR,
                                     course_code=code, score=score)
    return None


def _online(person_id):
    """The person's online hours of the year, as the yearly verdict counts them."""
    result = person_year(db.session, db.session.get(Person, person_id), YEAR)
    return result.obtained


def _records(person_id):
    return db.session.query(HourRecord).filter_by(person_id=person_id,
                                                  source_kind=SourceKind.ONLINE_LESSON).count()


def test_choice_is_once_a_year_and_locked(w):
    world, extra = w
    member = _user(world.member)
    choice = learning_member.choose_institute(member, NOW, extra.bnai)
    assert (choice.year, choice.institute_id) == (YEAR, extra.bnai)
    with pytest.raises(ValidationError, match="当年不可更改"):
        learning_member.choose_institute(member, NOW, extra.snai)
    assert db.session.query(InstituteChoice).count() == 1
    assert db.session.get(InstituteChoice, choice.id).institute_id == extra.bnai
    message = db.session.query(Message).filter(Message.title.contains("已选择会计学院")).one()
    assert "北京国家会计学院" in message.body and "不可更改" in message.body
    # a CPA pays nothing: no fee order
    assert db.session.query(LearningFee).count() == 0
    # the next year is a new choice
    learning_member.choose_institute(member, NOW + dt.timedelta(days=60), extra.snai)
    assert {c.year for c in db.session.query(InstituteChoice)} == {YEAR, YEAR + 1}


def test_who_may_choose_and_what(w, app):
    world, extra = w
    with pytest.raises(ForbiddenError, match="只有会员本人"):
        learning_member.choose_institute(_user(world.staff), NOW, extra.bnai)
    with pytest.raises(ForbiddenError, match="只有会员本人"):
        learning_member.choose_institute(_user(world.a.admin), NOW, extra.bnai)
    with pytest.raises(ForbiddenError):
        learning_member.choose_institute(_user(extra.lms_b), NOW, extra.bnai)
    with pytest.raises(ValidationError, match="请选择会计学院"):
        learning_member.choose_institute(_user(world.member), NOW, "abc")
    with pytest.raises(ValidationError, match="不存在或已停用"):
        learning_member.choose_institute(_user(world.member), NOW, 99999999999)
    db.session.get(LearningInstitute, extra.snai).active = False
    db.session.commit()
    with pytest.raises(ValidationError, match="不存在或已停用"):
        learning_member.choose_institute(_user(world.member), NOW, extra.snai)
    assert db.session.query(InstituteChoice).count() == 0


def test_non_practicing_choice_opens_a_fee_order(w):
    world, extra = w
    learning_member.choose_institute(_user(extra.np), NOW, extra.snai)
    fee = db.session.query(LearningFee).one()
    assert (fee.person_id, fee.year, fee.institute_id, fee.amount, fee.status) == (
        extra.np_person, YEAR, extra.snai, Decimal("150.00"), FeeStatus.UNPAID)
    history = rules.FEE.history(fee)
    assert [(h.to_state, h.remark) for h in history] == [(FeeStatus.UNPAID, "选择上海国家会计学院")]


def test_lms_reports_only_for_its_own_learners_and_writes_nothing_else(w):
    world, extra = w
    learning_member.choose_institute(_user(world.member), NOW, extra.bnai)   # 110100010001 → 北京
    learning_member.choose_institute(_user(extra.b_member), NOW, extra.snai)  # 110100020001 → 上海
    before = db.session.query(StatusHistory).count()
    for cert in ("110100020001", "110100099999", "210000000021"):
        with pytest.raises(ForbiddenError, match="未选择北京国家会计学院"):
            lms.report_completion(_user(extra.lms_b), NOW, cert_number=cert, year=YEAR,
                                    course_code="R1")
        with pytest.raises(ForbiddenError):
            lms.report_evaluation(_user(extra.lms_b), NOW, cert_number=cert, year=YEAR,
                                    course_code="R1", score=5)
    with pytest.raises(ForbiddenError):  # the right learner, the wrong year
        lms.report_completion(_user(extra.lms_b), NOW, cert_number="110100010001",
                                year=YEAR - 1, course_code="R1")
    # members, staff and firm admins are not an institute's LMS
    for who in (world.member, world.staff, world.a.admin):
        with pytest.raises(ForbiddenError, match="接口账号"):
            lms.report_completion(_user(who), NOW, cert_number="110100010001", year=YEAR,
                                    course_code="R1")
    assert db.session.query(LessonProgress).count() == 0
    assert db.session.query(StatusHistory).count() == before
    with pytest.raises(NotFoundError, match="没有编号为X9的课程"):
        lms.report_completion(_user(extra.lms_b), NOW, cert_number="110100010001",
                                year=YEAR, course_code="X9")
    row = lms.report_completion(_user(extra.lms_b), NOW, cert_number="110100010001",
                                  year=YEAR, course_code="R1")
    assert (row.status, row.institute_id, row.year) == (ProgressStatus.TO_EVALUATE, extra.bnai, YEAR)
    again = lms.report_completion(_user(extra.lms_b), NOW + DAY, cert_number="110100010001",
                                    year=YEAR, course_code="R1")
    assert again.id == row.id and again.completed_at == NOW


def test_bad_lms_values_are_named(w):
    world, extra = w
    learning_member.choose_institute(_user(world.member), NOW, extra.bnai)
    reporter = _user(extra.lms_b)
    base = dict(cert_number="110100010001", year=YEAR, course_code="R1")
    cases = [({"cert_number": ""}, "证书编号"), ({"year": "二〇二六"}, "学习年度"),
             ({"year": True}, "学习年度"), ({"course_code": None}, "课程编号"),
             ({"completed_at": "明天"}, "完成时间"), ({"completed_at": 5}, "完成时间"),
             ({"completed_at": (NOW + DAY).isoformat()}, "不能晚于当前时间"),
             ({"completed_at": "2025-12-31T23:00:00+08:00"}, "须在2026年度内")]
    for change, words in cases:
        with pytest.raises(ValidationError, match=words):
            lms.report_completion(reporter, NOW, **{**base, **change})
    with pytest.raises(ValidationError, match="尚未报送学完，不能评价"):
        lms.report_evaluation(reporter, NOW, **base, score=5)
    lms.report_completion(reporter, NOW, **base)
    for score in (0, 6, "好", 4.5, True, None):
        with pytest.raises(ValidationError, match="评分"):
            lms.report_evaluation(reporter, NOW, **base, score=score)
    with pytest.raises(ValidationError, match="不能早于完成时间"):
        lms.report_evaluation(reporter, NOW, **base, score=5,
                                evaluated_at=(NOW - DAY).isoformat())
    assert db.session.query(LessonProgress).one().status == ProgressStatus.TO_EVALUATE


def test_next_day_run_credits_each_evaluated_lesson_once(w):
    world, extra = w
    person = world.a_people[0]
    learning_member.choose_institute(_user(world.member), NOW, extra.bnai)
    _post(extra.lms_b, "110100010001", "R1")
    _post(extra.lms_b, "110100010001", "R2", evaluate=False)  # finished, not evaluated
    # the same day: nothing yet (第二天可查询学时)
    assert crediting.credit_due(SYSTEM, NOW + dt.timedelta(hours=1))["credited"] == 0
    assert _records(person) == 0
    counts = crediting.credit_due(SYSTEM, NOW + DAY)
    assert counts["credited"] == 1
    record = db.session.query(HourRecord).filter_by(source_kind=SourceKind.ONLINE_LESSON).one()
    assert (record.person_id, record.year, record.hours, record.delivery, record.category,
            record.acquisition, SourceKind.LABELS[record.source_kind]) == (
        person, YEAR, Decimal("4.0"), "网络课程", "职业道德", "正常", "网络学习")
    assert "职业道德守则（北京国家会计学院）" == record.title
    # twice, or late: still once
    assert crediting.credit_due(SYSTEM, NOW + DAY)["credited"] == 0
    assert crediting.credit_due(SYSTEM, NOW + 5 * DAY)["credited"] == 0
    assert _records(person) == 1
    assert _online(person) == Decimal("4.0")
    row = db.session.query(LessonProgress).filter_by(status=ProgressStatus.CREDITED).one()
    assert [h.to_state for h in rules.PROGRESS.history(row)] == [ProgressStatus.TO_EVALUATE, ProgressStatus.EVALUATED, ProgressStatus.CREDITED]
    # the unevaluated lesson waits; evaluated later, it is credited by a later run
    lms.report_evaluation(_user(extra.lms_b), NOW + 2 * DAY, cert_number="110100010001",
                            year=YEAR, course_code="R2", score=4)
    assert crediting.credit_due(SYSTEM, NOW + 2 * DAY)["credited"] == 0
    assert crediting.credit_due(SYSTEM, NOW + 9 * DAY)["credited"] == 1
    assert _online(person) == Decimal("10.0")


def test_cpa_electives_count_after_every_required_course(w):
    world, extra = w
    person = world.a_people[0]
    learning_member.choose_institute(_user(world.member), NOW, extra.bnai)
    _post(extra.lms_b, "110100010001", "E1")
    _post(extra.lms_b, "110100010001", "R1")
    _post(extra.lms_b, "110100010001", "R2", evaluate=False)
    counts = crediting.credit_due(SYSTEM, NOW + DAY)
    assert (counts["credited"], counts["wait_required"]) == (1, 1)  # R1 only
    view = learning_member.overview(db.session.get(Person, person), YEAR, NOW + DAY)
    notes = {line.course.code: (line.state, line.note) for line in view.lines}
    assert notes["E1"] == (ProgressStatus.EVALUATED, rules.WAIT_REQUIRED)
    assert notes["R2"][0] == ProgressStatus.TO_EVALUATE and "评价" in notes["R2"][1]
    assert notes["E2"] == ("未学习", "须先完成必修课程，才可以学习选修课程")
    assert view.required_left == ["会计准则更新"]
    lms.report_evaluation(_user(extra.lms_b), NOW + DAY, cert_number="110100010001",
                            year=YEAR, course_code="R2", score=5)
    assert crediting.credit_due(SYSTEM, NOW + 2 * DAY)["credited"] == 2  # R2 and the elective
    assert _online(person) == Decimal("13.0")


def test_non_practicing_lessons_wait_for_the_fee(w):
    world, extra = w
    staff = _user(world.staff)
    learning_member.choose_institute(_user(extra.np), NOW, extra.snai)
    _post(extra.lms_s, "210000000021", "E2")  # no required-before-elective for them
    _post(extra.lms_s, "210000000021", "R1")
    counts = crediting.credit_due(SYSTEM, NOW + DAY)
    assert (counts["credited"], counts["wait_fee"]) == (0, 2)
    view = learning_member.overview(db.session.get(Person, extra.np_person), YEAR, NOW + DAY)
    assert {line.note for line in view.lines if line.progress} == {rules.WAIT_FEE}
    assert not view.distinguishes
    fee = db.session.query(LearningFee).one()
    with pytest.raises(NotFoundError):  # the member sees its order, but cannot mark it
        fees.mark_paid(_user(world.member), NOW, fee.id)
    with pytest.raises(ForbiddenError, match="协会工作人员"):
        fees.mark_paid(_user(extra.np), NOW, fee.id)
    fees.mark_paid(staff, NOW + DAY, fee.id, remark="转账 0032")
    fee = db.session.get(LearningFee, fee.id)
    assert (fee.status, fee.receipt) == (FeeStatus.PAID, "转账 0032")
    assert db.session.query(Message).filter(Message.title.contains("已确认收款")).count() == 1
    with pytest.raises(ValidationError, match="当前状态为“已缴费”"):
        fees.mark_paid(staff, NOW + DAY, fee.id)
    assert crediting.credit_due(SYSTEM, NOW + 2 * DAY)["credited"] == 2
    assert _online(extra.np_person) == Decimal("6.5")
    # taken back: the credited lessons leave the ledger and wait again
    with pytest.raises(ValidationError, match="原因"):
        fees.unmark_paid(staff, NOW + 3 * DAY, fee.id)
    fees.unmark_paid(staff, NOW + 3 * DAY, fee.id, remark="款项退回")
    assert _records(extra.np_person) == 0
    assert _online(extra.np_person) == Decimal("0")
    assert {p.status for p in db.session.query(LessonProgress)} == {ProgressStatus.EVALUATED}
    assert [h.to_state for h in rules.FEE.history(fee)] == [FeeStatus.UNPAID, FeeStatus.PAID, FeeStatus.UNPAID]
    fees.mark_paid(staff, NOW + 4 * DAY, fee.id)
    assert crediting.credit_due(SYSTEM, NOW + 5 * DAY)["credited"] == 2
    assert _records(extra.np_person) == 2


def test_mark_paid_many_reports_each_order_and_never_stops(w, app):
    """确认收款 of several orders through the core's bulk decision (issue 25): an order paid by
    someone else since the list was shown is reported as taken, one already paid as refused
    in the machine's words, an unknown one as not found — and the others are still done
    (before, the first conflict stopped the run)."""
    from app.models import PersonType
    from app.roles import MEMBER
    from tests.helpers import make_person, make_user

    world, extra = w
    logins = [extra.np]
    for serial in (22, 23):
        person = make_person(app, world.a.id, f"非执{serial}", serial=serial,
                             person_type=PersonType.NON_PRACTICING,
                             cert_number=f"2100000000{serial}")
        logins.append(make_user(app, f"nonprac{serial}", MEMBER, firm_id=world.a.id,
                                person_id=person))
    ids = [learning_member.choose_institute(_user(login), NOW, extra.snai).person_id
           for login in logins]
    orders = [learning_member.fee_of(pid, YEAR) for pid in ids]
    db.session.commit()
    shown = {o.id: o.version for o in orders}
    staff = _user(world.staff)
    fees.mark_paid(staff, NOW, orders[1].id)  # another member of staff, after the list was shown
    fees.mark_paid(staff, NOW, orders[2].id)  # paid before; this page sends no version for it
    result = fees.mark_paid_many(staff, NOW, [orders[0].id, orders[1].id, orders[2].id,
                                              987654, orders[0].id],
                                 versions={orders[0].id: shown[orders[0].id],
                                           orders[1].id: shown[orders[1].id]})
    assert [(o.id, o.result) for o in result.outcomes] == [
        (orders[0].id, "done"), (orders[1].id, "taken"), (orders[2].id, "refused"),
        (987654, "refused")]
    assert "该记录已被他人处理（当前状态：已缴费）" in result.outcomes[1].message
    assert result.messages()[1] == f"记录{orders[2].id}：当前状态为“已缴费”，不能确认收款"
    assert result.messages()[2] == "记录987654：记录不存在或无权查看"
    db.session.expire_all()
    assert {db.session.get(LearningFee, o.id).status for o in orders} == {FeeStatus.PAID}


def test_the_fee_is_the_members_own_to_pay_while_unpaid(w, app):
    from app.workflows.core.acting import acts_for

    world, extra = w
    learning_member.choose_institute(_user(extra.np), NOW, extra.snai)
    fee = db.session.query(LearningFee).one()
    member, staff, firm_admin = _user(extra.np), _user(world.staff), _user(world.a.admin)
    assert acts_for(member, fee) and not acts_for(staff, fee) and not acts_for(firm_admin, fee)
    assert rules.FEE.actions(fee, member, NOW) == {"pay"}
    with pytest.raises(ForbiddenError, match="只有办理该事项的事务所或本人可以缴费"):
        rules.FEE.require(fee, "pay", staff, NOW)
    fees.mark_paid(staff, NOW, fee.id)
    with pytest.raises(ValidationError, match="当前状态为“已缴费”，不能缴费"):
        rules.FEE.require(fee, "pay", member, NOW)


def test_catalog_rules_name_the_field_at_fault(w):
    from app.models import Course
    from app.workflows.learning import catalog

    world, extra = w
    institute = db.session.get(LearningInstitute, extra.bnai)
    cases = [(dict(website="javascript:alert(1)"), "学习网址须以"), (dict(fee="免费"), "学习费用须为数字"),
             (dict(fee="-1"), "0至999999.99"), (dict(code=" "), "请填写学院代码")]
    for change, words in cases:
        probe = LearningInstitute(**{"code": "t", "name": "测试学院", "fee": "0", **change})
        with pytest.raises(ValidationError, match=words):
            catalog.clean_institute(probe)
    fine = LearningInstitute(code=" new ", name=" 新学院 ", fee="12.5", website=" https://x.cn ")
    catalog.clean_institute(fine)
    assert (fine.code, fine.name, fine.fee, fine.website) == ("NEW", "新学院", Decimal("12.50"),
                                                              "https://x.cn")
    base = dict(institute_id=extra.bnai, year=YEAR, code="N1", title="新课", category="专业课",
                hours="2")
    for change, words in [({"hours": "0"}, "学时须大于0"), ({"hours": "1.25"}, "最多一位小数"),
                          ({"hours": "两"}, "学时须为数字"), ({"category": "体育"}, "学时类别须为"),
                          ({"year": 1999}, "四位年份"), ({"code": "R1"}, "已有编号为R1的课程"),
                          ({"institute_id": None}, "请选择会计学院")]:
        with pytest.raises(ValidationError, match=words):
            catalog.clean_course(Course(**{**base, **change}))
    course = Course(**base)
    catalog.clean_course(course)
    assert course.hours == Decimal("2.0")
    # in use: not deleted (deactivate instead)
    learning_member.choose_institute(_user(world.member), NOW, extra.bnai)
    _post(extra.lms_b, "110100010001", "R1", evaluate=False)
    with pytest.raises(ValidationError, match="已有课程或学员选择"):
        catalog.check_institute_delete(institute)
    r1 = db.session.query(Course).filter_by(institute_id=extra.bnai, code="R1").one()
    with pytest.raises(ValidationError, match="已有学习记录"):
        catalog.check_course_delete(r1)
    catalog.check_course_delete(db.session.query(Course).filter_by(
        institute_id=extra.bnai, code="E2").one())  # never studied: may go
