"""事务所内部培训 on the core policy layer (issue 25), without HTTP where it is a rule and
through a request where it is a page: who acts for each in-house row (`__actors__`), what
each state permits (the machines' P permits, refused in the machine's words), the hook that
takes a deleted class's roster with it, the bulk review's per-row outcomes, and forms that
tell every mistake at once."""
import datetime as dt
import re

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import (EntryStatus, HourRecord, InhouseClass, InhouseQualification,
                        InhouseRosterEntry, InhouseYearReport, Message, Person, ReviewStatus)
from app.workflows.core import acting
from app.workflows.core.decisions import DONE, REFUSED, TAKEN
from app.workflows.core.errors import FieldErrors, ForbiddenError, ValidationError
from app.workflows.core.importing import batches
from app.workflows.core.sheets import simple_workbook
from app.workflows.inhouse import classes, importing, qualification, review, roster
from app.workflows.inhouse.common import FIRM_ONLY
from tests.helpers import NOW
from tests.inhouse.world import a_class, qualified

# NOW is 2026-11-23 10:00 Beijing
AFTER = dt.datetime(2026, 12, 30, 2, 0, tzinfo=dt.timezone.utc)  # the classes below have ended


def _user(name):
    return db.session.query(User).filter_by(username=name).one()


@pytest.fixture
def w(app, world):
    with app.app_context():
        yield world, _user(world.a.admin), _user(world.staff)


def _entry(class_id, person_id, status=EntryStatus.ENROLLED):
    person = db.session.get(Person, person_id)
    entry = InhouseRosterEntry(class_id=class_id, is_cpa=bool(person.cert_number),
                               cert_number=person.cert_number, name=person.name,
                               id_number=person.id_number, level="审计员",
                               acquisition="执业机构内培", hours="8.0", person_id=person.id,
                               person_key=f"P{person.id}", status=status, created_at=NOW)
    db.session.add(entry)
    db.session.commit()
    return entry.id


# --- who acts ----------------------------------------------------------------------------------

def test_the_firms_admin_acts_for_each_in_house_row_and_nobody_else(w):
    world, admin, staff = w
    b_admin, member = _user(world.b.admin), _user(world.member)
    q = db.session.get(InhouseQualification, qualified(world.a.id, 2026, NOW))
    item = db.session.get(InhouseClass, a_class(world.a.id, NOW))
    entry = db.session.get(InhouseRosterEntry, _entry(item.id, world.a_people[0]))
    report = InhouseYearReport(firm_id=world.a.id, year=2026, uploaded_at=NOW)
    db.session.add(report)
    db.session.commit()
    rows = [q, item, entry, report]
    assert [acting.acts_for(admin, r) for r in rows] == [True] * 4
    # another firm's admin, staff (they decide through the machines) and the person the
    # roster line names (it sees its line, never files it) do not act for them
    for other in (b_admin, staff, member):
        assert [acting.acts_for(other, r) for r in rows] == [False] * 4, other.username
    for row in rows:  # the SQL condition answers the same
        model = type(row)
        for user in (admin, b_admin, staff, member):
            found = db.session.scalars(select(model.id).where(
                model.id == row.id, acting.acting_condition(model, user))).all()
            assert bool(found) == acting.acts_for(user, row), (model.__name__, user.username)
    with pytest.raises(ForbiddenError) as refused:
        classes.update_class(staff, NOW, item.id, classes.ClassInput())
    assert refused.value.message == FIRM_ONLY
    with pytest.raises(ForbiddenError, match=FIRM_ONLY):
        classes.add_class(member, NOW, classes.ClassInput())


# --- what a state permits -------------------------------------------------------------------------

def test_each_permit_is_refused_in_the_wrong_state_in_the_machines_words(w):
    world, admin, staff = w
    b_admin = _user(world.b.admin)
    q = db.session.get(InhouseQualification, qualified(world.a.id, 2026, NOW))
    pending = db.session.get(InhouseClass, a_class(world.a.id, NOW, name="待审班"))
    approved = db.session.get(InhouseClass, a_class(world.a.id, NOW, name="已审班",
                                                    status=ReviewStatus.APPROVED))
    enrolled = db.session.get(InhouseRosterEntry, _entry(approved.id, world.a_people[0]))
    done = db.session.get(InhouseRosterEntry, _entry(approved.id, world.a_people[1],
                                                     EntryStatus.APPROVED))
    Q, C, E = qualification.QUALIFICATION, classes.CLASS, roster.ENTRY

    def refused(machine, item, action, actor):
        with pytest.raises((ValidationError, ForbiddenError)) as error:
            machine.require(item, action, actor, NOW)
        return error.value.message

    assert refused(Q, q, "amend", admin) == "当前状态为“审核通过”，不能修改申请"
    assert refused(C, approved, "edit", admin) == "当前状态为“审核通过”，不能修改"
    assert refused(C, approved, "delete", admin) == "当前状态为“审核通过”，不能删除"
    assert refused(C, pending, "approve_entries", staff) == "当前状态为“未审核”，不能审核通过其学员"
    assert refused(E, done, "edit", admin) == "当前状态为“审核通过”，不能修改"
    assert refused(E, done, "delete", admin) == "当前状态为“审核通过”，只有协会工作人员可以删除"
    # the right state, the wrong firm
    assert refused(C, pending, "edit", b_admin) == "当前状态为“未审核”，只有事务所管理员可以修改"
    # what the buttons ask
    assert C.actions(pending, admin, NOW) == {"edit", "delete"}
    assert C.actions(approved, admin, NOW) == set()
    assert C.actions(approved, staff, NOW) == {"approve_entries"}
    assert E.actions(enrolled, admin, NOW) == {"edit", "delete"}
    assert E.actions(done, admin, NOW) == set() and E.actions(done, staff, NOW) == {"delete"}
    assert C.states_for("edit") == {ReviewStatus.PENDING, ReviewStatus.REJECTED}
    # the commands ask the same permits
    with pytest.raises(ValidationError, match="当前状态为“审核通过”，不能修改"):
        classes.update_class(admin, NOW, approved.id, classes.ClassInput())
    with pytest.raises(ForbiddenError, match="只有协会工作人员可以删除"):
        roster.delete_entry(admin, NOW, done.id)
    roster.delete_entry(staff, NOW, done.id)  # staff may delete any entry
    assert db.session.get(InhouseRosterEntry, done.id) is None
    # an entry of a class not yet approved: the ENTRY guard asks the CLASS permit
    waiting = _entry(pending.id, world.a_people[2])
    with pytest.raises(ValidationError, match="所属培训班尚未审核通过，请先审核培训班"):
        roster.approve_entry(staff, AFTER, waiting)


# --- the hook ---------------------------------------------------------------------------------------

def test_deleting_a_class_takes_its_roster_through_the_domains_hook(w):
    world, admin, staff = w
    qualified(world.a.id, 2026, NOW)
    pk = a_class(world.a.id, NOW, name="将删除的班")
    kept = a_class(world.a.id, NOW, name="保留的班")
    ids = [_entry(pk, world.a_people[0]), _entry(pk, world.a_people[1])]
    other = _entry(kept, world.a_people[0])
    assert roster.drop_roster in classes.CLASS_REMOVED.subscribers  # declared in the DOMAIN
    classes.delete_class(admin, NOW, pk)
    db.session.expire_all()
    assert db.session.get(InhouseClass, pk) is None
    assert [db.session.get(InhouseRosterEntry, i) for i in ids] == [None, None]
    assert db.session.get(InhouseRosterEntry, other) is not None


# --- one bulk decision -------------------------------------------------------------------------------

def test_bulk_review_decides_each_row_and_names_the_taken_and_the_refused(w):
    world, admin, staff = w
    other_staff = _user(world.admin)  # the institute's Admin decides one row first
    ended = a_class(world.a.id, NOW, name="已结束的班", start=dt.date(2026, 11, 16),
                    status=ReviewStatus.APPROVED)
    open_class = a_class(world.a.id, NOW, name="未审核的班", start=dt.date(2026, 11, 16))
    first = _entry(ended, world.a_people[0])
    taken = _entry(ended, world.a_people[1])
    refused = _entry(open_class, world.a_people[2])  # its class is not approved
    last = _entry(ended, world.a_people[2])
    shown = {pk: db.session.get(InhouseRosterEntry, pk).version
             for pk in (first, taken, refused, last)}
    roster.approve_entry(other_staff, NOW, taken, notify_firm=False)  # decided first
    result = review.review_many(staff, NOW, "entry", [first, taken, refused, last], "approve",
                                versions=shown)
    assert [(o.id, o.result) for o in result.outcomes] == [
        (first, DONE), (taken, TAKEN), (refused, REFUSED), (last, DONE)]
    assert "该记录已被他人处理（当前状态：审核通过）" in result.outcomes[1].message
    assert result.outcomes[2].message.endswith("所属培训班尚未审核通过，请先审核培训班")
    assert result.outcomes[2].label == "学员张三（培训班“未审核的班”）"
    assert result.as_json()["done"] == 2 and result.as_json()["taken"] == 1
    db.session.expire_all()
    assert {e.id for e in db.session.scalars(select(InhouseRosterEntry).where(
        InhouseRosterEntry.status == EntryStatus.APPROVED))} == {first, taken, last}
    assert db.session.query(HourRecord).count() == 3
    summary = db.session.scalars(select(Message).where(
        Message.title.contains("学员审核通过（2人）"))).one()
    assert "张一" in summary.body and "张三" in summary.body
    # a rejection without a reason: the form is refused before any row is touched
    with pytest.raises(ValidationError, match="审核未通过须填写原因"):
        review.review_many(staff, NOW, "entry", [first], "reject", remark=" ")


def test_the_review_page_tells_each_row_not_done(app, world, make_client):
    with app.app_context():
        ended = a_class(world.a.id, NOW, name="页面班", start=dt.date(2026, 11, 16),
                        status=ReviewStatus.APPROVED)
        waiting = a_class(world.a.id, NOW, name="页面未审班", start=dt.date(2026, 11, 16))
        ok = _entry(ended, world.a_people[0])
        refused = _entry(waiting, world.a_people[1])
    web = make_client()
    web.login(world.staff)
    page = web.post_form("/inhouse/review/entry/decide",
                         {"ids": [str(ok), str(refused)], "decision": "approve"},
                         follow_redirects=True).get_data(as_text=True)
    assert "已审核通过 1 条学员名单" in page
    assert "学员张二（培训班“页面未审班”）：" in page and "所属培训班尚未审核通过" in page


# --- every mistake at once -----------------------------------------------------------------------------

def test_a_class_form_with_several_mistakes_is_told_them_all(w):
    world, admin, staff = w
    with pytest.raises(FieldErrors) as raised:
        classes.add_class(admin, NOW, classes.ClassInput(
            name="", category="专业课", hours="abc", start_date="2026-12-10",
            end_date="2026-12-09", address="会议室", leader="苗迈", contact="1380000"))
    fields = [field for field, _message in raised.value.errors]
    assert fields == ["name", "hours", "end_date"]
    with pytest.raises(FieldErrors) as entry_errors:
        roster.clean_entry(db.session.get(InhouseClass, a_class(world.a.id, NOW)),
                           roster.EntryInput(is_cpa="否", name="", id_number="", level=""))
    assert [f for f, _m in entry_errors.value.errors] == ["id_number", "name", "level"]
    with pytest.raises(FieldErrors) as applied:
        qualification.apply_qualification(admin, NOW, "1999", {})
    assert [f for f, _m in applied.value.errors] == ["year", qualification.SCAN.name]


def test_a_spreadsheet_row_with_two_mistakes_gets_both_in_their_columns(w):
    world, admin, staff = w
    qualified(world.a.id, 2026, NOW)
    headers = [c.header for c in importing.InhouseClasses.columns]
    sheet = simple_workbook("培训班", headers, [
        ["两处错误的班", "专业", "16", "2026-11-25", "2026-11-24", "会议室", "苗迈", "1380000"]])
    batch = batches.upload(admin, NOW, "inhouse_classes", "建班.xlsx", sheet, {},
                           background=False)
    errors = {(e["row"], e["column"]): e["message"]
              for e in batches.summary_of(batch)["errors"]}
    assert errors == {(2, "培训结束时间"): "培训结束时间不能早于开始时间",
                      (2, "培训开始时间"): classes.LATE_CLASS}


def test_the_class_page_shows_every_mistake_in_one_response(app, world, client):
    client.login(world.a.admin)
    response = client.post_form("/inhouse/classes/add", {
        "name": "", "category": "专业课", "hours": "abc", "start_date": "2030-05-10",
        "end_date": "2030-05-10", "address": "会议室", "leader": "苗迈", "contact": "1380000"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写培训班名称" in page and "注师可获学时：" in page
    assert re.search(r'name="address"[^>]*value="会议室"', page)  # what was typed is kept
    entry_page = client.post_form(f"/inhouse/classes/{_class_for(app, world)}/roster/add", {
        "is_cpa": "否", "name": "", "id_number": "", "level": ""})
    text = entry_page.get_data(as_text=True)
    assert entry_page.status_code == 400
    assert "身份证号必填" in text and "请填写姓名" in text and "请填写级别" in text


def _class_for(app, world):
    with app.app_context():
        return a_class(world.a.id, NOW, name="表单班", start=dt.date.today()
                       + dt.timedelta(days=10))
