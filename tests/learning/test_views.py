"""网络学习 through the pages, the REST API and the CLI: a member chooses an institute on its
page; the institute's LMS signs in for a token and posts a completion and an evaluation;
`jobs run learning_credit` the next day credits the lesson once; the LMS token is refused
for another institute's learner and for the web; the fee gate through staff's pages; staff
maintain courses with clear refusals."""
import datetime as dt
import io
from unittest import mock

from openpyxl import load_workbook

from app.models import ProgressStatus
from app.models import FeeStatus
from app.extensions import db
from app.models import (Course, HourRecord, InstituteChoice, LearningFee, LessonProgress,
                        SourceKind)
from tests.helpers import NOW
from tests.learning.world import YEAR, build
from tests.registry.test_api import api_login, bearer

COMPLETION = "/api/v1/lesson_progress/completion"
EVALUATION = "/api/v1/lesson_progress/evaluation"


def _clock(at=NOW):
    return mock.patch("app.clock.now", return_value=at)


def _count(app, model, **where):
    with app.app_context():
        return db.session.query(model).filter_by(**where).count()


def _jobs_run(app, day):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "learning_credit",
                                                "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_member_chooses_lms_reports_next_day_job_credits_once(app, world, client):
    extra = build(app, world)
    with _clock():
        client.login(world.member)
        page = client.get("/learning/").get_data(as_text=True)
        assert "请先选择一家会计学院" in page and "北京国家会计学院" in page
        assert "必修 2 门，选修 2 门，共 15.5 学时" in page
        chosen = client.post_form("/learning/choose", {"institute": extra.bnai})
        assert chosen.status_code == 302
        again = client.post_form("/learning/choose", {"institute": extra.snai},
                                 follow_redirects=True).get_data(as_text=True)
        assert "当年不可更改" in again
        assert _count(app, InstituteChoice) == 1
        http = app.test_client()
        lms = bearer(http, extra.lms_b)
        done = http.post(COMPLETION, headers=lms, json={
            "cert_number": "110100010001", "year": YEAR, "course_code": "R1"})
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["status"] == "待评价"
        page = client.get("/learning/").get_data(as_text=True)
        assert "完成，待评价" in page and "未评价的学时暂不记录" in page
        rated = http.post(EVALUATION, headers=lms, json={
            "cert_number": "110100010001", "year": YEAR, "course_code": "R1", "score": 5,
            "comment": "很好"})
        assert rated.status_code == 200 and rated.get_json()["message"] == "已记录评价，次日计入学时"
        assert "次日计入学时" in client.get("/learning/").get_data(as_text=True)
        # the same day's run credits nothing; the next day's does, once
        _jobs_run(app, NOW.date())
        assert _count(app, HourRecord, source_kind=SourceKind.ONLINE_LESSON) == 0
    next_day = NOW + dt.timedelta(days=1)
    with _clock(next_day):
        _jobs_run(app, next_day.date())
        _jobs_run(app, next_day.date())
        assert _count(app, HourRecord, source_kind=SourceKind.ONLINE_LESSON) == 1
        page = client.get("/learning/").get_data(as_text=True)
        assert "已计学时" in page and 'id="credited-hours">4.0' in page
        mine = client.get("/hours/mine/export/csv/").get_data().decode("utf-8-sig")
        assert "职业道德守则（北京国家会计学院）" in mine and "网络课程" in mine
        # the LMS reads its learners' progress
        listing = http.get("/api/v1/lesson_progress/", headers=lms).get_json()
        assert [r["status"] for r in listing["result"]] == ["已计学时"]


def test_lms_token_refused_for_another_institutes_learner_and_for_the_web(app, world,
                                                                        make_client):
    extra = build(app, world)
    with _clock():
        member = make_client()
        member.login(extra.b_member)
        member.post_form("/learning/choose", {"institute": extra.snai})
        http = app.test_client()
        lms = bearer(http, extra.lms_b)
        for path, body in ((COMPLETION, {}), (EVALUATION, {"score": 5})):
            refused = http.post(path, headers=lms, json={
                "cert_number": "110100020001", "year": YEAR, "course_code": "R1", **body})
            assert refused.status_code == 403
            assert "未选择北京国家会计学院" in refused.get_json()["message"]
        assert _count(app, LessonProgress) == 0
        # the other institute's own LMS may
        own = http.post(COMPLETION, headers=bearer(http, extra.lms_s), json={
            "cert_number": "110100020001", "year": YEAR, "course_code": "R1"})
        assert own.status_code == 200
        # the LMS sees only its own learners
        assert http.get("/api/v1/learning_choice/", headers=lms).get_json()["count"] == 0
        assert http.get("/api/v1/lesson_progress/", headers=lms).get_json()["count"] == 0
        # bad bodies are named, in Chinese
        wrong = http.post(COMPLETION, headers=lms, data="x", content_type="text/plain")
        assert wrong.status_code == 400 and wrong.get_json()["message"] == "请求体须为JSON对象"
        missing = http.post(COMPLETION, headers=lms, json={"year": YEAR, "course_code": "R1"})
        assert missing.status_code == 400
        assert missing.get_json() == {"message": "请提供证书编号（cert_number）",
                                      "field": "cert_number"}
        # several fields at fault: each is named in one answer (issue 25)
        several = http.post(COMPLETION, headers=lms, json={"year": "明年"})
        assert several.status_code == 400
        assert several.get_json()["errors"] == {
            "cert_number": "请提供证书编号（cert_number）", "year": "学习年度（year）须为四位年份",
            "course_code": "请提供课程编号（course_code）"}
        # no web session for an LMS account, and members may not report
        web = make_client()
        web.login(extra.lms_b)
        assert not web.signed_in
        assert "会计学院接口账号只能通过接口" in web.get("/login/").get_data(as_text=True)
        member_token = bearer(http, world.member)
        assert http.post(COMPLETION, headers=member_token, json={
            "cert_number": "110100010001", "year": YEAR, "course_code": "R1"}).status_code == 403
        wrong_password = api_login(http, extra.lms_b, "not-it")
        assert wrong_password.status_code == 401


def test_fee_gate_through_staff_pages(app, world, make_client):
    extra = build(app, world)
    with _clock():
        member = make_client()
        member.login(extra.np)
        member.post_form("/learning/choose", {"institute": extra.snai})
        page = member.get("/learning/").get_data(as_text=True)
        assert "待缴费" in page and "150.00元" in page
        assert "非执业会员学习不区分必修选修" in page
        http = app.test_client()
        lms = bearer(http, extra.lms_s)
        for code in ("E2", "R1"):
            for path, extra_body in ((COMPLETION, {}), (EVALUATION, {"score": 4})):
                assert http.post(path, headers=lms, json={
                    "cert_number": "210000000021", "year": YEAR, "course_code": code,
                    **extra_body}).status_code == 200
    day2 = NOW + dt.timedelta(days=1)
    with _clock(day2):
        _jobs_run(app, day2.date())
        assert _count(app, HourRecord, source_kind=SourceKind.ONLINE_LESSON) == 0
        assert "缴费后计入" in member.get("/learning/").get_data(as_text=True)
        staff = make_client()
        staff.login(world.staff)
        with app.app_context():
            fee = db.session.query(LearningFee).one().id
        listing = staff.get("/learningfeeview/list/").get_data(as_text=True)
        assert "王非执" in listing and "待缴费" in listing
        shown = staff.get(f"/learningfeeview/show/{fee}").get_data(as_text=True)
        assert "确认收款" in shown and "fee-history" in shown
        # a firm admin reads its people's fee orders but cannot mark them
        admin = make_client()
        admin.login(world.a.admin)
        assert "王非执" in admin.get("/learningfeeview/list/").get_data(as_text=True)
        assert admin.post_form(f"/learningfeeview/decide/{fee}/mark_paid").status_code in (
            302, 403)
        assert _count(app, LearningFee, status=FeeStatus.UNPAID) == 1
        paid = staff.post_form("/learningfeeview/action_post",
                               {"action": "mark_paid", "rowid": str(fee)})
        assert paid.status_code == 302
        assert _count(app, LearningFee, status=FeeStatus.PAID) == 1
        export = staff.get("/learningfeeview/export/xlsx/")
        sheet = load_workbook(io.BytesIO(export.data)).active
        assert any("已缴费" in [str(c) for c in row] for row in sheet.iter_rows(values_only=True))
    day3 = NOW + dt.timedelta(days=2)
    with _clock(day3):
        _jobs_run(app, day3.date())
        assert _count(app, HourRecord, source_kind=SourceKind.ONLINE_LESSON) == 2
        page = member.get("/learning/").get_data(as_text=True)
        assert 'id="credited-hours">6.5' in page
        # taken back with a reason on the show page: the hours leave
        undone = staff.post_form(f"/learningfeeview/decide/{fee}/unmark_paid",
                                 {"remark": "款项退回"})
        assert undone.status_code == 302
        assert _count(app, HourRecord, source_kind=SourceKind.ONLINE_LESSON) == 0
        assert _count(app, LearningFee, status=FeeStatus.UNPAID) == 1
        # REST: the verb, for staff only
        token = bearer(http, world.staff)
        assert http.post(f"/api/v1/learning_fee/{fee}/mark_paid", headers=token,
                         json={"remark": "补缴"}).get_json()["status"] == "已缴费"


def test_staff_maintain_courses_with_clear_refusals(app, world, make_client):
    extra = build(app, world)
    staff = make_client()
    staff.login(world.staff)
    form = {"institute": str(extra.bnai), "year": "2026", "code": "N1", "title": "新课程",
            "category": "专业课", "hours": "2.55", "required": "y", "active": "y"}
    bad = staff.post_form("/courseview/add", form, follow_redirects=True).get_data(as_text=True)
    assert "学时须大于0，最多一位小数" in bad
    clash = staff.post_form("/courseview/add", {**form, "code": "R1", "hours": "2"},
                            follow_redirects=True).get_data(as_text=True)
    assert "该学院2026年度已有编号为R1的课程" in clash
    assert staff.post_form("/courseview/add", {**form, "hours": "2.5"}).status_code == 302
    with app.app_context():
        course = db.session.query(Course).filter_by(code="N1").one()
        assert (course.hours, course.required) == (2.5, True)
        db.session.add(LessonProgress(person_id=world.a_people[0], year=YEAR,
                                      institute_id=extra.bnai, course_id=course.id,
                                      status=ProgressStatus.TO_EVALUATE, completed_at=NOW))
        db.session.commit()
        pk = course.id
    refused = staff.post_form(f"/courseview/delete/{pk}", follow_redirects=True)
    assert "已有学习记录，不能删除" in refused.get_data(as_text=True)
    assert _count(app, Course, code="N1") == 1
    # the member may not maintain courses
    member = make_client()
    member.login(world.member)
    assert member.post_form("/courseview/add", form).status_code in (302, 403)
    assert _count(app, Course, code="N1") == 1


def test_openapi_lists_the_lms_endpoints(app, world):
    http = app.test_client()
    spec = http.get("/api/v1/_openapi", headers=bearer(http, world.staff)).get_json()
    assert {COMPLETION, EVALUATION, "/api/v1/learning_fee/{pk}/mark_paid",
            "/api/v1/learning_choice/"} <= set(spec["paths"])


def test_cli_opens_and_resets_an_institute_account(app, world):
    extra = build(app, world)
    runner = app.test_cli_runner()
    opened = runner.invoke(args=["learning", "institute-account", "--institute", "snai",
                                 "--username", "lms-sh2"])
    assert opened.exit_code == 0, opened.output
    password = opened.output.split("密码：")[1].strip()
    assert len(password) >= 20
    http = app.test_client()
    token = bearer(http, "lms-sh2", password)
    assert http.get("/api/v1/learning_choice/", headers=token).status_code == 200
    assert http.get("/api/v1/person/", headers=token).status_code in (401, 403)
    reset = runner.invoke(args=["learning", "institute-account", "--institute", "SNAI",
                                "--username", "lms-sh2", "--password", "Another2026lms"])
    assert reset.exit_code == 0 and "Another2026lms" in reset.output
    assert api_login(http, "lms-sh2", password).status_code == 401
    bearer(http, "lms-sh2", "Another2026lms")
    # a login of somebody else, or an unknown institute, is refused
    taken = runner.invoke(args=["learning", "institute-account", "--institute", "snai",
                                "--username", world.member])
    assert taken.exit_code != 0 and "已被其他账号使用" in taken.output
    unknown = runner.invoke(args=["learning", "institute-account", "--institute", "nope",
                                  "--username", "lms-x"])
    assert unknown.exit_code != 0 and "没有代码为nope的会计学院" in unknown.output
    with app.app_context():
        from app.models import Account
        assert db.session.query(Account).filter_by(
            learning_institute_id=extra.snai).count() == 2  # lms-snai and lms-sh2


def test_other_practitioners_are_told_why_they_cannot_choose(app, world, make_client):
    from app.roles import MEMBER
    from tests.helpers import make_user

    extra = build(app, world)
    make_user(app, "kj13800000002", MEMBER, firm_id=world.a.id, person_id=world.a_people[1])
    client = make_client()
    client.login("kj13800000002")
    page = client.get("/learning/")
    assert page.status_code == 200
    assert "网络学习面向注册会计师和非执业会员" in page.get_data(as_text=True)
    refused = client.post_form("/learning/choose", {"institute": extra.bnai})
    assert refused.status_code == 403
    assert _count(app, InstituteChoice) == 0


def test_demo_seed_on_new_years_morning(app):
    """The demo tells its story inside the year and never after now — even five minutes
    after midnight on 1 January (Beijing)."""
    early = dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with _clock(early.astimezone(dt.timezone.utc)):
        result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "lms-bnai" in result.output
    with app.app_context():
        # everything happened today, so nothing is credited before tomorrow's run
        states = {p.status for p in db.session.query(LessonProgress)}
        assert states == {ProgressStatus.TO_EVALUATE, ProgressStatus.EVALUATED}
        assert {p.year for p in db.session.query(LessonProgress)} == {2027}
