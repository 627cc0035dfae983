"""REST `hour_record` and its `/year` verdict, staff's `/correction`, and `flask cpe year`:
scoped exactly as the pages (a member only themselves, a firm admin only its people)."""
import datetime as dt
import json

import pytest

from app.extensions import db
from app.models import HourRecord
from app.workflows import hours
from app.roles import MEMBER
from tests.helpers import NOW, make_user
from tests.registry.test_api import bearer

SEED_SENTENCE = "您2026年继续教育未通过，已获8.0学时，其中面授课程8.0学时，职业道德0学时，思政课程0学时。"


@pytest.fixture
def credited(app, world):
    with app.app_context():
        for person_id in (world.a_people[0], world.b_people[0]):
            hours.credit(None, NOW, source_kind="import", source_id=f"api:{person_id}",
                         person_id=person_id, year=2026, title="审计准则专题", category="专业课",
                         delivery="面授", hours="8", obtained_at=dt.date(2026, 5, 1))
    return world


def _year(http, headers, person_id, year=2026):
    return http.get(f"/api/v1/hour_record/year?person={person_id}&year={year}", headers=headers)


def test_year_gives_the_verdict_to_whoever_may_see_the_person(app, credited):
    world, http = credited, app.test_client()
    own = world.a_people[0]
    for login in ("110100010001", "P11010001", "staff1"):
        response = _year(http, bearer(http, login), own)
        assert response.status_code == 200, login
        body = response.get_json()
        assert body["obtained"] == 8.0 and body["face_to_face"] == 8.0
        assert body["passed"] is False and "有效学时不足40学时" in body["reasons"]
        assert body["sentence"] == SEED_SENTENCE
    assert _year(http, bearer(http, "staff1"), world.b_people[0]).status_code == 200


def test_year_never_answers_for_a_person_out_of_scope(app, credited):
    world, http = credited, app.test_client()
    member, firm_admin = bearer(http, "110100010001"), bearer(http, "P11010001")
    assert _year(http, member, world.a_people[1]).status_code == 404  # a colleague
    assert _year(http, member, world.b_people[0]).status_code == 404
    assert _year(http, firm_admin, world.b_people[0]).status_code == 404
    assert _year(http, firm_admin, 10**9).status_code == 404
    bad = http.get("/api/v1/hour_record/year?person=x&year=2026", headers=firm_admin)
    assert bad.status_code == 400 and "年度" in bad.get_json()["message"]


def test_records_list_is_scoped(app, credited):
    world, http = credited, app.test_client()
    seen = lambda login: {r["person_id"] for r in http.get(  # noqa: E731
        "/api/v1/hour_record/", headers=bearer(http, login)).get_json()["result"]}
    assert seen("110100010001") == {world.a_people[0]}
    assert seen("P11010001") == {world.a_people[0]}
    assert seen("staff1") == {world.a_people[0], world.b_people[0]}


def _correction(**overrides):
    body = {"person_id": None, "year": 2026, "title": "补录：2026年面授培训", "category": "专业课",
            "delivery": "面授", "hours": "-2.5", "obtained_at": "2026-06-01",
            "reason": "重复计入，予以扣减"}
    body.update(overrides)
    return body


def test_staff_correct_with_a_reason_and_firms_may_not(app, credited):
    world, http = credited, app.test_client()
    staff = bearer(http, "staff1")
    missing = http.post("/api/v1/hour_record/correction", headers=staff,
                        json=_correction(person_id=world.a_people[0], reason=" "))
    assert missing.status_code == 400 and missing.get_json()["field"] == "reason"
    bad_hours = http.post("/api/v1/hour_record/correction", headers=staff,
                          json=_correction(person_id=world.a_people[0], hours="1.25"))
    assert bad_hours.status_code == 400 and bad_hours.get_json()["field"] == "hours"
    created = http.post("/api/v1/hour_record/correction", headers=staff,
                        json=_correction(person_id=world.a_people[0]))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["hours"] == -2.5  # a number, as the document says (issue 22)
    assert _year(http, staff, world.a_people[0]).get_json()["obtained"] == 5.5
    with app.app_context():
        record = db.session.get(HourRecord, created.get_json()["id"])
        assert record.source_kind == "manual" and record.reason == "重复计入，予以扣减"
    refused = http.post("/api/v1/hour_record/correction", headers=bearer(http, "P11010001"),
                        json=_correction(person_id=world.a_people[0]))
    assert refused.status_code in (401, 403)
    with app.app_context():
        assert db.session.query(HourRecord).filter_by(source_kind="manual").count() == 1


def test_cli_prints_the_same_object_as_the_api(app, credited):
    world = credited
    runner = app.test_cli_runner()
    by_cert = runner.invoke(args=["cpe", "year", "--person", "110100010001", "--year", "2026"])
    assert by_cert.exit_code == 0, by_cert.output
    printed = json.loads(by_cert.output)
    api = _year(app.test_client(), bearer(app.test_client(), "staff1"), world.a_people[0])
    assert printed == api.get_json()
    assert set(printed) >= {"obtained", "counted", "face_to_face", "ethics", "sizheng", "passed",
                            "reasons", "sentence"}
    login = make_user(app, "kj13800000002", MEMBER, firm_id=world.a.id,
                      person_id=world.a_people[1])
    by_login = runner.invoke(args=["cpe", "year", "--person", login, "--year", "2026"])
    assert by_login.exit_code == 0 and json.loads(by_login.output)["obtained"] == 0
    unknown = runner.invoke(args=["cpe", "year", "--person", "nobody", "--year", "2026"])
    assert unknown.exit_code != 0 and "找不到人员" in unknown.output


def test_cli_rebuild_recomputes_the_yearly_sums_in_its_own_command(app, credited):
    from sqlalchemy import delete

    from app.extensions import db
    from app.models import HourYearTotal

    runner = app.test_cli_runner()
    with app.app_context():
        before = {(t.person_id, t.year): t.total for t in db.session.query(HourYearTotal)}
        db.session.execute(delete(HourYearTotal))
        db.session.commit()
    rebuilt = runner.invoke(args=["cpe", "rebuild", "--year", "2026"])
    assert rebuilt.exit_code == 0 and "已重算2026年学时汇总" in rebuilt.output
    with app.app_context():
        after = {(t.person_id, t.year): t.total for t in db.session.query(HourYearTotal)}
    assert after == {k: v for k, v in before.items() if k[1] == 2026} and after
