"""学时申请 workflows without HTTP: each kind's lifecycle through the machine, the hours it
credits (and takes back), a confirmed 豁免 changing the verdict, the owner's rights."""
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import (ApplicationStatus, CpeExemption, HourApplication, HourRecord, Message,
                        Person, SourceKind, StoredFile)
from app.workflows.applications import rules
from app.workflows.core import files
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from app.workflows.hours import ledger
from app.workflows.hours.rules import person_year
from tests.applications.world import exemption, inputs, non_practicing_member, output, proof
from tests.helpers import NOW

# NOW is 2026-11-23 10:00 Beijing


def _user(name):
    return db.session.query(User).filter_by(username=name).one()


@pytest.fixture
def w(app, world):
    with app.app_context():
        yield world, _user(world.member), _user(world.staff)


def _year(person_id, year=2026):
    return person_year(db.session, db.session.get(Person, person_id), year)


def test_output_refuse_edit_refile_confirm_credits_hours(w):
    world, member, staff = w
    person = world.a_people[0]
    row = rules.file_application(member, NOW, output(quantity="2.5"), proof())
    assert (row.status, row.hours, row.quantity) == (ApplicationStatus.PENDING, Decimal("7.5"), Decimal("2.5"))
    assert len(rules.attachments_of([row.id])[row.id]) == 1
    with pytest.raises(ValidationError, match="须填写原因"):
        rules.refuse(staff, NOW, row.id)
    rules.refuse(staff, NOW, row.id, remark="授课证明未盖章")
    row = db.session.get(HourApplication, row.id)
    assert (row.status, row.reason) == (ApplicationStatus.REFUSED, "授课证明未盖章")
    assert db.session.query(HourRecord).count() == 0
    refused = db.session.query(Message).filter(Message.title.contains("不予确认")).one()
    assert "授课证明未盖章" in refused.body
    # the member corrects it: 4 hours taught → 12 学时, a new stamped scan, the old one removed
    old = rules.attachments_of([row.id])[row.id][0].id
    rules.update_application(member, NOW, row.id, output(quantity="4"), proof("盖章版.pdf"),
                             remove_file_ids=[old])
    row = db.session.get(HourApplication, row.id)
    assert (row.status, row.hours) == (ApplicationStatus.PENDING, Decimal("12.0"))
    assert [f.original_name for f in rules.attachments_of([row.id])[row.id]] == ["盖章版.pdf"]
    assert db.session.get(StoredFile, old) is None
    rules.confirm(staff, NOW, row.id)
    record = db.session.query(HourRecord).filter_by(source_kind=SourceKind.APPLICATION).one()
    assert (record.person_id, record.year, record.delivery, record.hours) == (
        person, 2026, "产出式", Decimal("12.0"))
    assert _year(person).obtained == Decimal("12.0")
    assert [h.to_state for h in rules.MACHINE.history(row)] == [
        ApplicationStatus.PENDING, ApplicationStatus.REFUSED, ApplicationStatus.PENDING, ApplicationStatus.CONFIRMED]
    assert db.session.query(Message).filter(Message.title.contains("已确认")).count() == 1
    # confirmed: the owner can neither edit nor delete it
    with pytest.raises(ValidationError, match="当前状态为“已确认”，不能修改"):
        rules.update_application(member, NOW, row.id, output(quantity="1"))
    with pytest.raises(ValidationError, match="当前状态为“已确认”，不能删除"):
        rules.delete_application(member, NOW, row.id)
    # staff take the confirmation back: exactly its hours leave the ledger
    rules.revoke(staff, NOW, row.id, remark="重复申请")
    assert db.session.query(HourRecord).count() == 0
    assert _year(person).obtained == Decimal("0.0")
    assert db.session.get(HourApplication, row.id).status == ApplicationStatus.PENDING


def test_output_rates_and_caps(w):
    world, member, staff = w
    route = {r.label: r for r in rules.OUTPUT_ROUTES}
    assert route["参与起草专业标准"].hours_for(Decimal(2)) == Decimal(16)
    assert route["参加执业质量检查"].hours_for(Decimal(3)) == Decimal(12)
    assert route["注册会计师考试命题或阅卷"].hours_for(Decimal(5)) == Decimal(20)
    assert route["承担行业课题研究"].hours_for(Decimal(5)) == Decimal(12)
    degree = rules.file_application(member, NOW, output("当年取得会计或审计相关学位", "7"), proof())
    assert (degree.quantity, degree.hours) == (Decimal(1), Decimal(24))
    with pytest.raises(ValidationError, match="不能重复申请"):
        rules.file_application(member, NOW, output("当年取得会计或审计相关学位"), proof())
    rules.file_application(member, NOW, output("承担行业课题研究", "2"), proof())
    with pytest.raises(ValidationError, match="最多还可申请4学时"):
        rules.file_application(member, NOW, output("承担行业课题研究", "2"), proof())
    # the yearly 产出式 cap of 24 is the rules engine's: 24 + 8 obtained, 24 counted
    for row in db.session.query(HourApplication).all():
        rules.confirm(staff, NOW, row.id)
    result = _year(world.a_people[0])
    assert (result.obtained, result.counted) == (Decimal("32.0"), Decimal("24.0"))
    with pytest.raises(ValidationError, match="学时途径须为"):
        rules.file_application(member, NOW, output("随便写的途径"), proof())
    with pytest.raises(ValidationError, match="数量（小时）须大于0"):
        rules.file_application(member, NOW, output(quantity="-1"), proof())


def test_input_lifecycle_and_owner_rights(w):
    world, member, staff = w
    with pytest.raises(ValidationError, match="请上传证明材料"):
        rules.file_application(member, NOW, inputs(), [])
    with pytest.raises(ValidationError, match="请填写主办单位"):
        rules.file_application(member, NOW, inputs(organizer=" "), proof())
    with pytest.raises(ValidationError, match="学时年度只能为2026或2025"):
        rules.file_application(member, NOW, inputs(year=2020), proof())
    row = rules.file_application(member, NOW, inputs(hours="16.5"), proof())
    assert db.session.query(HourApplication).count() == 1
    # staff cannot file, another member cannot see it
    with pytest.raises(ForbiddenError):
        rules.file_application(staff, NOW, inputs(), proof())
    rules.confirm(staff, NOW, row.id)
    record = db.session.query(HourRecord).one()
    assert (record.delivery, record.hours, record.category) == ("投入式", Decimal("16.5"), "专业课")
    assert "北京国家会计学院" in record.title
    with pytest.raises(ValidationError, match="当前状态为“已确认”，不能确认"):
        rules.confirm(staff, NOW, row.id)
    # a pending one can be deleted with its files
    other = rules.file_application(member, NOW, inputs(hours="2"), proof())
    stored = rules.attachments_of([other.id])[other.id][0].id
    rules.delete_application(member, NOW, other.id)
    assert db.session.get(HourApplication, other.id) is None
    assert db.session.get(StoredFile, stored) is None


def test_other_member_cannot_touch_an_application(app, world):
    person_b, login_b = non_practicing_member(app, world.b.id)
    with app.app_context():
        member, other, staff = _user(world.member), _user(login_b), _user(world.staff)
        row = rules.file_application(member, NOW, inputs(), proof())
        with pytest.raises(NotFoundError):
            rules.update_application(other, NOW, row.id, inputs(hours="99"))
        with pytest.raises(NotFoundError):
            rules.delete_application(other, NOW, row.id)
        with pytest.raises(ForbiddenError):
            rules.confirm(other, NOW, row.id)
        file_id = rules.attachments_of([row.id])[row.id][0].id
        with pytest.raises(NotFoundError):
            files.readable(other, file_id)
        assert files.readable(member, file_id).id == file_id
        assert files.readable(staff, file_id).id == file_id
        assert db.session.get(HourApplication, row.id).hours == Decimal("8.0")


def test_exemption_turns_cpa_fail_into_pass_and_back(w):
    world, member, staff = w
    person = world.a_people[0]
    ledger.credit(staff, NOW, source_kind=SourceKind.MANUAL, source_id="x1", person_id=person,
                  year=2026, title="审计准则", category="专业课", delivery="面授", hours="10",
                  obtained_at=NOW.date())
    assert not _year(person).passed
    row = rules.file_application(member, NOW, exemption(), proof())
    with pytest.raises(ValidationError, match="已有豁免学时申请"):
        rules.file_application(member, NOW, exemption("生育（产假）"), proof())
    rules.refuse(staff, NOW, row.id, remark="缺少出入境记录")
    rules.update_application(member, NOW, row.id, exemption(), proof("出入境记录.pdf"))
    rules.confirm(staff, NOW, row.id)
    exempt = db.session.query(CpeExemption).one()
    assert (exempt.person_id, exempt.year, exempt.source_kind) == (person, 2026, "application")
    result = _year(person)
    assert result.exempt and result.passed
    rules.revoke(staff, NOW, row.id, remark="材料核实有误")
    assert db.session.query(CpeExemption).count() == 0
    assert not _year(person).passed


def test_exemption_halves_non_practicing_requirement(app, world):
    person, login = non_practicing_member(app, world.a.id)
    with app.app_context():
        member, staff = _user(login), _user(world.staff)
        ledger.credit(staff, NOW, source_kind=SourceKind.MANUAL, source_id="n1",
                      person_id=person, year=2026, title="财务会计", category="专业课",
                      delivery="面授", hours="20", obtained_at=NOW.date())
        assert not _year(person).passed  # 20 < 40
        row = rules.file_application(member, NOW, exemption("因病休假六个月以上"), proof())
        rules.confirm(staff, NOW, row.id)
        assert _year(person).passed  # 20 ≥ 40 / 2


def _tally(result):
    """A bulk decision's outcomes as the page shows them: the count done, one line per other."""
    return len(result.done), result.messages()


def test_bulk_review_goes_through_the_machine(w):
    world, member, staff = w
    a = rules.file_application(member, NOW, inputs(hours="4"), proof())
    b = rules.file_application(member, NOW, inputs(hours="6"), proof())
    with pytest.raises(ValidationError, match="不予确认须填写原因"):
        rules.review_many(staff, NOW, [a.id, b.id], "refuse", " ")
    done, errors = _tally(rules.review_many(staff, NOW, [a.id, b.id], "confirm"))
    assert (done, errors) == (2, [])
    done, errors = _tally(rules.review_many(staff, NOW, [a.id], "refuse", "重复"))
    assert done == 0 and "不能不予确认" in errors[0]
    assert errors[0].startswith(f"第{a.id}号学时申请：")
    assert _year(world.a_people[0]).obtained == Decimal("10.0")


def test_bulk_refusal_takes_each_applications_own_reason(w):
    world, member, staff = w
    a = rules.file_application(member, NOW, inputs(hours="4"), proof())
    b = rules.file_application(member, NOW, inputs(hours="6"), proof())
    c = rules.file_application(member, NOW, inputs(hours="2"), proof())
    # only b has a reason and there is no common one: b is refused, a and c are named
    done, errors = _tally(rules.review_many(staff, NOW, [a.id, b.id, c.id], "refuse",
                                            remarks={b.id: "证书模糊"}))
    assert done == 1 and len(errors) == 2 and all("须填写原因" in e for e in errors)
    assert [db.session.get(HourApplication, x.id).status for x in (a, b, c)] == [
        ApplicationStatus.PENDING, ApplicationStatus.REFUSED, ApplicationStatus.PENDING]
    done, errors = _tally(rules.review_many(staff, NOW, [a.id, c.id], "refuse", "材料不全",
                                            remarks={a.id: "主办单位与证书不符"}))
    assert (done, errors) == (2, [])
    assert [db.session.get(HourApplication, x.id).reason for x in (a, b, c)] == [
        "主办单位与证书不符", "证书模糊", "材料不全"]


def test_a_decision_from_a_stale_page_is_refused_naming_the_state(w):
    """Issue 22, finding 6: the review page sends the version each row was shown with; a
    row decided (and even put back) by someone else since is refused, naming its state."""
    world, member, staff = w
    a = rules.file_application(member, NOW, inputs(hours="4"), proof())
    db.session.commit()
    shown = {a.id: a.version}
    rules.confirm(staff, NOW, a.id)
    rules.revoke(staff, NOW, a.id, remark="误确认")  # back to 未确认, as the stale page shows it
    result = rules.review_many(staff, NOW, [a.id], "refuse", "重复", versions=shown)
    assert [o.result for o in result.outcomes] == ["taken"]
    done, errors = _tally(result)
    assert done == 0 and "该记录已被他人处理（当前状态：未确认）" in errors[0]
    done, errors = _tally(rules.review_many(staff, NOW, [a.id], "confirm",
                                            versions={a.id: db.session.get(type(a),
                                                                           a.id).version}))
    assert (done, errors) == (1, [])


# --- the policy declarations (issue 25) ------------------------------------------------------

def test_the_member_acts_for_its_own_application_and_nobody_else_does(w, app):
    from app.workflows.core.acting import acting_condition, acts_for

    world, member, staff = w
    row = rules.file_application(member, NOW, inputs(hours="4"), proof())
    db.session.commit()
    _person, login = non_practicing_member(app, world.a.id)
    colleague, firm_admin = _user(login), _user(world.a.admin)
    assert acts_for(member, row)
    assert not acts_for(colleague, row)   # another member of the same firm
    assert not acts_for(firm_admin, row)  # the firm sees it but does not file it
    assert not acts_for(staff, row)       # staff decide through the machine instead
    for user, expected in ((member, {row.id}), (colleague, set()), (firm_admin, set()),
                           (staff, set())):
        assert set(db.session.scalars(db.select(HourApplication.id).where(
            acting_condition(HourApplication, user)))) == expected
    # another member's application is not found for it (not told it exists)
    with pytest.raises(NotFoundError, match="学时申请不存在"):
        rules.delete_application(colleague, NOW, row.id)


def test_each_permit_is_refused_in_the_wrong_state_in_the_machines_words(w):
    world, member, staff = w
    row = rules.file_application(member, NOW, inputs(hours="4"), proof())
    assert rules.MACHINE.actions(row, member, NOW) == {"edit", "delete", "upload"}
    assert rules.MACHINE.actions(row, staff, NOW) == set()
    with pytest.raises(ForbiddenError, match="只有办理该事项的事务所或本人可以修改"):
        rules.MACHINE.require(row, "edit", staff, NOW)
    assert rules.MACHINE.states_for("edit") == {ApplicationStatus.PENDING, ApplicationStatus.REFUSED}
    rules.confirm(staff, NOW, row.id)
    for action, label in (("edit", "修改"), ("delete", "删除"), ("upload", "上传证明材料")):
        with pytest.raises(ValidationError, match=f"当前状态为“已确认”，不能{label}"):
            rules.MACHINE.require(row, action, member, NOW)
    # the command asks the same permit: a new file on a confirmed application is refused
    with pytest.raises(ValidationError, match="当前状态为“已确认”，不能修改"):
        rules.update_application(member, NOW, row.id, inputs(hours="5"), proof())
    rules.revoke(staff, NOW, row.id, remark="重复")
    rules.refuse(staff, NOW, row.id, remark="材料不全")
    assert rules.may(row, "refile", member, NOW) and not rules.may(row, "refile", staff, NOW)
    assert rules.MACHINE.permits(row, "upload", member, NOW)


def test_a_bulk_decision_reports_the_row_taken_and_the_row_refused_and_does_the_rest(w):
    world, member, staff = w
    rows = [rules.file_application(member, NOW, inputs(hours=str(h)), proof())
            for h in (1, 2, 3, 4)]
    db.session.commit()
    shown = {r.id: r.version for r in rows}
    rules.confirm(staff, NOW, rows[1].id)                 # someone else decided it first
    rules.refuse(staff, NOW, rows[2].id, remark="材料不全")  # refused before, page not reloaded
    result = rules.review_many(staff, NOW, [r.id for r in rows], "confirm",
                               versions={rows[0].id: shown[rows[0].id],
                                         rows[1].id: shown[rows[1].id]})
    assert [(o.id, o.result) for o in result.outcomes] == [
        (rows[0].id, "done"), (rows[1].id, "taken"), (rows[2].id, "refused"),
        (rows[3].id, "done")]
    assert "当前状态为“不予确认”，不能确认" in result.outcomes[2].message
    assert result.as_json()["done"] == 2
    db.session.expire_all()
    assert [db.session.get(HourApplication, r.id).status for r in rows] == [
        ApplicationStatus.CONFIRMED, ApplicationStatus.CONFIRMED, ApplicationStatus.REFUSED, ApplicationStatus.CONFIRMED]


def test_a_form_with_several_mistakes_names_each_at_once(w):
    world, member, staff = w
    from app.workflows.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as raised:
        rules.file_application(member, NOW, inputs(hours="abc", organizer=""), [])
    fields = [field for field, _message in raised.value.errors]
    assert fields == ["organizer", "hours", rules.PROOF.name]
    assert "请填写主办单位" in raised.value.message and "请上传证明材料" in raised.value.message
    assert db.session.query(HourApplication).count() == 0
