"""审核中心 (issue 26): every queue's items from the domain's own review query, oldest
first with the days waited and past-due, narrowed by firm and kind; bulk decisions through
the core's one bulk decision — each item's outcome, the first of two staff wins and the
second is told; staff only (403 for a firm admin and a member, page and REST)."""
import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import User

from app import clock
from app.extensions import db
from app.models import (ApplicationStatus, HourApplication, InhouseClass, InhouseQualification,
                        ReviewStatus)
from app.workflows import review_centre
from app.workflows.applications import rules as applications
from app.workflows.core import queues
from app.workflows.core.decisions import DONE, REFUSED, TAKEN
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.inhouse import review as inhouse_review
from tests.applications.world import output, proof
from tests.helpers import NOW, PASSWORD
from tests.inhouse.world import a_class

# NOW is 2026-11-23 10:00 Beijing


def _user(name):
    return db.session.query(User).filter_by(username=name).one()


def _queue(shown, name):
    return next(q for q in shown if q.name == name)


@pytest.fixture
def waiting(app, world):
    """Firm A: a qualification waiting 20 days (past due), a class starting tomorrow (due),
    an hour application; firm B: a class waiting one day."""
    with app.app_context():
        qualification = InhouseQualification(firm_id=world.a.id, year=2026,
                                             status=ReviewStatus.PENDING,
                                             submitted_at=NOW - dt.timedelta(days=20))
        db.session.add(qualification)
        db.session.commit()
        qualification_id = qualification.id
        a_soon = a_class(world.a.id, NOW - dt.timedelta(days=2), name="甲所明日开班",
                         start=dt.date(2026, 11, 24))
        b_class = a_class(world.b.id, NOW - dt.timedelta(days=1), name="乙所年末课程",
                          start=dt.date(2026, 12, 20))
        application = applications.file_application(_user(world.member), NOW - dt.timedelta(
            days=3), output(), proof()).id
        db.session.commit()
    yield dict(qualification=qualification_id, a_soon=a_soon, b_class=b_class,
               application=application)


def test_every_domain_declares_its_queues_and_the_centre_imports_none(app):
    names = {q.name for q in queues.registered()}
    assert names == {"inhouse_qualification", "inhouse_class", "inhouse_entry",
                     "training_enrollment", "training_result", "hour_application",
                     "registration_case", "person_transfer", "learning_fee", "consultation"}
    source = open(review_centre.__file__, encoding="utf-8").read()
    for domain in ("inhouse", "training", "applications", "registration", "registry",
                   "learning", "messages"):
        assert f"app.workflows.{domain}" not in source


def test_items_come_from_the_review_lists_own_query_oldest_first(app, world, waiting):
    with app.app_context():
        staff = _user(world.staff)
        shown = review_centre.assemble(staff, NOW)
        classes = _queue(shown, "inhouse_class")
        # the same rows, in the same number, as 内部培训审核's 未审核 list
        listed = db.session.scalars(inhouse_review.review_select(
            staff, "class", status=ReviewStatus.PENDING)).all()
        assert classes.count == len(listed) == 2
        assert [i.id for i in classes.items] == [waiting["a_soon"], waiting["b_class"]]
        soon, later = classes.items
        assert (soon.days, soon.deadline, soon.past_due) == (2, dt.date(2026, 11, 24), False)
        assert later.firm == "北京乙会计师事务所有限公司" and not later.past_due
        qualification = _queue(shown, "inhouse_qualification")
        assert qualification.count == 1 and qualification.oldest_days == 20
        assert qualification.items[0].past_due and qualification.past_due == 1
        hours = _queue(shown, "hour_application")
        assert [i.id for i in hours.items] == list(db.session.scalars(
            applications.review_select(staff, status=ApplicationStatus.PENDING)
            .with_only_columns(HourApplication.id)))
        # the day the class starts it is past due
        on_the_day = review_centre.assemble(staff, NOW + dt.timedelta(days=1),
                                            kinds=["inhouse_class"])
        assert [q.name for q in on_the_day] == ["inhouse_class"]
        assert on_the_day[0].items[0].past_due


def test_filters_by_firm_and_by_kind(app, world, waiting):
    with app.app_context():
        staff = _user(world.staff)
        of_b = review_centre.assemble(staff, NOW, firm_id=world.b.id)
        assert {q.name: q.count for q in of_b if q.count} == {"inhouse_class": 1}
        inhouse = review_centre.assemble(staff, NOW, kinds=["事务所内部培训"])
        assert [q.name for q in inhouse] == ["inhouse_qualification", "inhouse_class",
                                            "inhouse_entry"]
        assert review_centre.counts(staff, NOW)["hour_application"] == 1


def test_bulk_decision_each_outcome_and_the_first_of_two_staff_wins(app, world, waiting):
    with app.app_context():
        staff = _user(world.staff)
        shown = _queue(review_centre.assemble(staff, NOW), "inhouse_class")
        versions = {i.id: i.version for i in shown.items}
        # another member of staff approves 甲所's class first, from its own page
        inhouse_review.review_many(staff, NOW, "class", [waiting["a_soon"]], "approve")
        result = review_centre.decide(staff, NOW, "inhouse_class", "reject",
                                      [waiting["a_soon"], waiting["b_class"], 999999],
                                      remark="课程安排不完整", versions=versions)
        outcome = {o.id: o for o in result.outcomes}
        assert outcome[waiting["a_soon"]].result == TAKEN
        assert "已被他人处理" in outcome[waiting["a_soon"]].message
        assert "甲所明日开班" in outcome[waiting["a_soon"]].label
        assert outcome[waiting["b_class"]].result == DONE
        assert outcome[999999].result == REFUSED
        db.session.expire_all()
        assert db.session.get(InhouseClass, waiting["a_soon"]).status == ReviewStatus.APPROVED
        b = db.session.get(InhouseClass, waiting["b_class"])
        assert (b.status, b.remark) == (ReviewStatus.REJECTED, "课程安排不完整")
        assert _queue(review_centre.assemble(staff, NOW), "inhouse_class").count == 0


def test_a_decision_that_needs_a_reason_is_refused_before_any_item(app, world, waiting):
    with app.app_context():
        staff = _user(world.staff)
        with pytest.raises(ValidationError, match="不予确认须填写原因"):
            review_centre.decide(staff, NOW, "hour_application", "refuse",
                                 [waiting["application"]], remark="  ")
        assert db.session.get(HourApplication, waiting["application"]).status == \
            ApplicationStatus.PENDING
        done = review_centre.decide(staff, NOW, "hour_application", "confirm",
                                    [waiting["application"]])
        assert [o.result for o in done.outcomes] == [DONE]


@pytest.mark.parametrize("who", ["a_admin", "member"])
def test_only_staff_assemble_or_decide(app, world, waiting, who):
    with app.app_context():
        actor = _user(world.a.admin if who == "a_admin" else world.member)
        with pytest.raises(ForbiddenError):
            review_centre.assemble(actor, NOW)
        with pytest.raises(ForbiddenError):
            review_centre.decide(actor, NOW, "inhouse_class", "approve", [waiting["b_class"]])


# --- the page and REST ----------------------------------------------------------------------

def _bearer(app, username):
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def at_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def test_staff_page_shows_counts_days_and_past_due(app, world, waiting, make_client, at_now):
    client = make_client()
    client.login(world.staff)
    html = client.get("/review-centre/").get_data(as_text=True)
    assert "审核中心" in html and 'id="queue-inhouse_class"' in html
    assert "甲所明日开班" in html and "乙所年末课程" in html
    assert "最久已等待 20 天，1 项已超期" in html
    assert html.index("甲所明日开班") < html.index("乙所年末课程")  # oldest first
    only_b = client.get(f"/review-centre/?firm={world.b.id}").get_data(as_text=True)
    assert "乙所年末课程" in only_b and "甲所明日开班" not in only_b
    only_hours = client.get("/review-centre/?kind=hour_application").get_data(as_text=True)
    assert 'id="queue-hour_application"' in only_hours and "甲所明日开班" not in only_hours


def test_page_bulk_decision_flashes_each_outcome(app, world, waiting, make_client, at_now):
    client = make_client()
    client.login(world.staff)
    other = make_client()
    other.login(world.staff)
    data = {"queue": "inhouse_class", "ids": [waiting["a_soon"], waiting["b_class"]],
            "decision": "approve", f"version_{waiting['a_soon']}": "1",
            f"version_{waiting['b_class']}": "1", "back": "/review-centre/"}
    first = other.post_form("/review-centre/decide", data={**data, "ids": [waiting["a_soon"]]})
    assert first.status_code == 302
    page = client.post_form("/review-centre/decide", data=data, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "已审核通过 1 项" in html
    assert "甲所明日开班" in html and "已被他人处理" in html
    refused = client.post_form("/review-centre/decide", data={
        "queue": "hour_application", "ids": [waiting["application"]], "decision": "refuse",
        "remark": ""}, follow_redirects=True).get_data(as_text=True)
    assert "不予确认须填写原因" in refused


def test_rest_lists_queues_and_decides(app, world, waiting, make_client, at_now):
    client, headers = app.test_client(), _bearer(app, world.staff)
    body = client.get("/api/v1/review_centre/?kind=inhouse_qualification",
                      headers=headers).get_json()
    assert [q["name"] for q in body["queues"]] == ["inhouse_qualification"]
    assert body["queues"][0]["items"][0]["days"] == 20
    assert body["queues"][0]["items"][0]["past_due"] is True
    answer = client.post("/api/v1/review_centre/decide", headers=headers, json={
        "queue": "inhouse_qualification", "decision": "approve",
        "ids": [waiting["qualification"]], "versions": {str(waiting["qualification"]): 7}})
    assert answer.status_code == 200
    assert answer.get_json()["taken"] == 1  # shown at another version: someone decided since
    bad = client.post("/api/v1/review_centre/decide", headers=headers, json={
        "queue": "inhouse_class", "decision": "approve", "ids": "x"})
    assert bad.status_code == 400 and "ids" in bad.get_json()["message"]


@pytest.mark.parametrize("who", ["firm_admin", "member"])
def test_firm_admin_and_member_get_403(app, world, waiting, make_client, who):
    client = make_client()
    client.login(world.a.admin if who == "firm_admin" else world.member)
    assert client.get("/review-centre/").status_code == 403
    assert client.post_form("/review-centre/decide", data={
        "queue": "inhouse_class", "ids": [waiting["b_class"]],
        "decision": "approve"}).status_code == 403
    login = world.a.admin if who == "firm_admin" else world.member
    headers = _bearer(app, login)
    assert client.get("/api/v1/review_centre/", headers=headers).status_code == 403
    assert client.post("/api/v1/review_centre/decide", headers=headers, json={
        "queue": "inhouse_class", "decision": "approve",
        "ids": [waiting["b_class"]]}).status_code == 403
    with app.app_context():
        assert db.session.get(InhouseClass, waiting["b_class"]).status == ReviewStatus.PENDING
    nav = client.get("/").get_data(as_text=True)
    assert "/review-centre/" not in nav


def test_the_demo_seed_fills_every_queue_for_the_demo_staff_user(app, demo_data):
    with app.app_context():
        staff = _user("staff")
        shown = review_centre.assemble(staff, clock.now())
        assert {q.name: q.count for q in shown if not q.count} == {}
        assert all(q.items for q in shown)


def _agree(staff, now):
    """Every queue's count and oldest moment by `waiting` (the home page's one aggregate per
    queue) are the centre's: its count and its first (oldest) item's moment."""
    shown = {q.name: q for q in review_centre.assemble(staff, now)}
    found = review_centre.waiting(staff, now)
    assert [queue.name for queue, _c, _o in found] == list(shown)
    for queue, count, oldest in found:
        view = shown[queue.name]
        assert count == view.count, queue.name
        assert oldest == (view.items[0].since if view.items else None), queue.name
    return found


def test_the_home_pages_counts_and_oldest_are_the_centres(app, world, waiting):
    with app.app_context():
        found = {q.name: (c, o) for q, c, o in _agree(_user(world.staff), NOW)}
        assert found["inhouse_qualification"] == (1, NOW - dt.timedelta(days=20))
        assert found["hour_application"][0] == 1 and found["inhouse_class"][0] == 2


def test_the_demo_queues_home_counts_are_the_centres(app, demo_data):
    with app.app_context():
        assert all(count for _q, count, _o in _agree(_user("staff"), clock.now()))
