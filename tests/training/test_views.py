"""CPA专题培训 through HTTP: the firm admin's list, form, ticking and roster; the member's
own enrollment; staff's class form with a handout, review, results by sheet, exports; the
REST resources; the CLI."""
import datetime as dt
import io
import re
from unittest import mock

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import PersonStatus
from app.models import EnrollmentStatus
from app.extensions import db
from app.models import Enrollment, HourRecord, Person, PersonType, TrainingClass
from app.workflows.training import enrollment, review
from tests.helpers import NOW, PASSWORD
from tests.training.common import AFTER, CLASS, form, make_class, user
from tests.xlsx import xlsx


@pytest.fixture
def cls(app, world):
    with app.app_context():
        return make_class()


def _at(moment):
    return mock.patch("app.clock.now", return_value=moment)  # every page asks the one clock


def _signed_in(make_client, login):
    client = make_client()
    assert client.login(login).status_code == 302 and client.signed_in
    return client


def test_the_firm_list_has_the_manuals_columns_and_says_why(app, world, make_client, cls):
    with app.app_context():
        make_class(name="未开始的班", enroll_start="2026-11-24 00:00")
        full = make_class(name="已满的班", capacity="1")
        enrollment.enroll(user(world.b.admin), NOW, full, form())
    client = _signed_in(make_client, world.a.admin)
    with _at(NOW):
        page = client.get("/training/classes/").get_data(as_text=True)
    for header in ("类型", "培训班", "主讲老师", "注册会计师可获学时", "培训时间", "报名时间", "培训地点",
                   "已报名人数", "本单位已报名人数", "操作"):
        assert f"<th>{header}</th>" in page
    assert "未到报名时间" in page and "已报满" in page
    assert f"/training/classes/{cls}/enroll" in page and "2026-11-20 00:00 至 2026-11-25 23:59" in page
    assert "16.0" in page and "北京国家会计学院" in page


def test_the_form_enrolls_one_then_the_next_and_refuses_in_chinese(app, world, make_client, cls):
    client = _signed_in(make_client, world.a.admin)
    with _at(NOW):
        page = client.get(f"/training/classes/{cls}/enroll").get_data(as_text=True)
        assert "提醒：请注册会计师务必填写证书号，否则无法记录继续教育学时。" in page
        assert "为提高授课针对性，请如实填写职位" in page
        done = client.post_form(f"/training/classes/{cls}/enroll", {
            "person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001",
            "name": ""}, follow_redirects=True)
        text = done.get_data(as_text=True)
        assert "已为张一报名" in text and 'id="enroll-form"' in text  # the next person
        refused = client.post_form(f"/training/classes/{cls}/enroll", {
            "person_kind": "注册会计师", "cert_number": "", "phone": "13800000009",
            "name": "王五"}).get_data(as_text=True)
        assert "注册会计师须填写证书编号" in refused and 'value="王五"' in refused  # kept
        roster = client.get(f"/training/classes/{cls}/roster").get_data(as_text=True)
    for header in ("人员类型", "证书号", "姓名", "性别", "年龄", "民族", "职位", "联系电话", "航班/车次",
                   "微信昵称", "报名状态", "培训状态"):
        assert f"<th>{header}</th>" in roster
    assert "张一" in roster and "未审核" in roster and "尚未参加培训" in roster
    with app.app_context():
        only = make_class(name="注师专场", audience="注册会计师")
    with _at(NOW):
        page = client.post_form(f"/training/classes/{only}/enroll", form()).get_data(as_text=True)
    assert "该培训班只允许注册会计师报名" in page


def test_ticking_five_cpas_enrolls_them_all_and_the_roster_deletes(app, world, make_client, cls):
    with app.app_context():
        ids = []
        for n in range(5):
            p = Person(person_type=PersonType.CPA, name=f"勾选{n}", firm_id=world.a.id,
                       phone=f"1360000000{n}", cert_number=f"11010009000{n}", status=PersonStatus.ACTIVE,
                       position="审计员", gender="男")
            db.session.add(p)
            db.session.flush()
            ids.append(p.id)
        db.session.commit()
    client = _signed_in(make_client, world.a.admin)
    with _at(NOW):
        page = client.get(f"/training/classes/{cls}/tick").get_data(as_text=True)
        for header in ("注册会计师编号", "注册会计师姓名", "出生日期", "性别", "职务", "Email"):
            assert header in page
        assert "勾选0" in page and "李一" not in page  # only the firm's own CPAs
        data = {"person": [str(i) for i in ids]}
        data.update({f"phone_{i}": f"1360000000{n}" for n, i in enumerate(ids)})
        done = client.post_form(f"/training/classes/{cls}/tick", data, follow_redirects=True)
        assert "已报名5人" in done.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Enrollment).where(Enrollment.class_id == cls)).all()
        assert sorted(r.name for r in rows) == [f"勾选{n}" for n in range(5)]
        first = rows[0].id
    with _at(NOW):
        client.post_form(f"/training/enrollments/{first}/delete")
        other = _signed_in(make_client, world.b.admin)
        assert other.post_form(f"/training/enrollments/{rows[1].id}/delete").status_code == 404
    with _at(AFTER):
        refused = client.post_form(f"/training/enrollments/{rows[1].id}/delete",
                                   follow_redirects=True).get_data(as_text=True)
        assert "培训班已开始，不能删除报名" in refused
    with app.app_context():
        assert db.session.query(Enrollment).count() == 4


def test_a_member_enrolls_itself_and_sees_the_cicpa_columns(app, world, make_client, cls):
    client = _signed_in(make_client, world.member)
    with _at(NOW):
        page = client.get("/training/classes/").get_data(as_text=True)
        for header in ("培训人数（人）", "已确认人数（人）", "已报名人数（人）", "培训班最大报名人数（人）",
                       "报名确认状态"):
            assert header in page
        assert "未报名" in page
        client.post_form(f"/training/classes/{cls}/self")
        page = client.get("/training/classes/").get_data(as_text=True)
    assert "待确认" in page
    assert client.get(f"/training/classes/{cls}/enroll").status_code in (302, 403)  # firm only


def test_staff_create_a_class_with_a_handout_review_record_results_by_sheet_export(
        app, world, make_client, tmp_path):
    staff = _signed_in(make_client, "staff1")
    pdf = b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF"
    data = {**CLASS, "enroll_start": "2026-11-20T00:00", "enroll_end": "2026-11-25T23:59",
            "handouts": (io.BytesIO(pdf), "9月8日全部课件.pdf")}
    with _at(NOW):
        saved = staff.post_form("/training-admin/new", data, content_type="multipart/form-data")
        assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
        class_id = int(re.search(r"/training-admin/(\d+)", saved.headers["Location"]).group(1))
        bad = staff.post_form("/training-admin/new", {**CLASS, "hours": "很多"})
        assert "学时" in bad.get_data(as_text=True)
    with app.app_context():
        cpa = enrollment.enroll(user(world.a.admin), NOW, class_id, {
            "person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001"})
        other = enrollment.enroll(user(world.b.admin), NOW, class_id, form())
        cpa_id, other_id = cpa.id, other.id
    # the handout: listed with its size, downloaded by a firm admin
    firm = _signed_in(make_client, world.a.admin)
    listing = firm.get(f"/training/handouts/{class_id}").get_data(as_text=True)
    assert "9月8日全部课件.pdf" in listing and "下载(4K)" in listing
    link = re.search(r'href="([^"]+download\?file=\d+)"', listing).group(1).replace("&amp;", "&")
    got = firm.get(link)
    assert got.status_code == 200 and got.data == pdf and "attachment" in got.headers[
        "Content-Disposition"]
    assert "资料下载" in firm.get("/training/handouts/").get_data(as_text=True)
    # review several at once, with a reason for the refused one
    with _at(NOW):
        staff.post_form(f"/training-admin/{class_id}/decide",
                        {"event": "approve", "rowid": [str(cpa_id), str(other_id)]})
        page = staff.get(f"/training-admin/{class_id}").get_data(as_text=True)
    assert page.count("审核通过（已确认）") == 2
    detail = staff.get(f"/training-admin/enrollment/{cpa_id}").get_data(as_text=True)
    assert "流程跟踪" in detail and "未审核" in detail and "审核通过" in detail
    assert firm.get(f"/training-admin/enrollment/{cpa_id}").status_code in (302, 403)
    # results by sheet through the generic import
    sheet = xlsx([["110100010001", "张一", None, "合格"], [None, "孙助理", "18827250001", "不合格"]],
                 ["证书编号", "姓名", "联系电话", "培训结果"])
    with mock.patch("app.views.core.imports.now", return_value=AFTER), \
            mock.patch("app.views.core.scoping.now", return_value=AFTER):
        uploaded = staff.post_form("/imports/training_results/", {
            "file": (io.BytesIO(sheet), "培训结果.xlsx"), "class": str(class_id)},
            content_type="multipart/form-data")
        assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:3000]
        token = re.search(r"/imports/preview/([^/?#]+)", uploaded.headers["Location"]).group(1)
        preview = staff.get(f"/imports/preview/{token}").get_data(as_text=True)
        assert "合格" in preview and 'id="commit-button"' in preview
        staff.post_form(f"/imports/commit/{token}")
    with app.app_context():
        record = db.session.scalars(select(HourRecord)).one()
        assert (record.person_id, str(record.hours), record.delivery) == (
            world.a_people[0], "16.0", "面授")
        assert db.session.get(Enrollment, other_id).result == "不合格"
    # hours show in 学员年度学时 of the firm
    annual = firm.get("/hours/annual/?year=2026").get_data(as_text=True)
    assert "张一" in annual and "16" in annual
    # the CICPA export and the roster export
    book = load_workbook(io.BytesIO(staff.get(f"/training-admin/{class_id}/cicpa").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "注册会计师编号", "姓名")
    assert rows[1][1:3] == ("110100010001", "张一") and rows[1][-2:] == ("合格", "16.0")
    assert len(rows) == 2  # 其他 persons are not in the CICPA template
    roster = load_workbook(io.BytesIO(staff.get(f"/training-admin/{class_id}/export").data))
    assert len(list(roster.active.iter_rows())) == 3
    # the CLI writes the same template
    out = tmp_path / "cicpa.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "class-cicpa", "--class",
                                                str(class_id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list(load_workbook(out).active.iter_rows(values_only=True)) == rows
    bad = app.test_cli_runner().invoke(args=["export", "class-cicpa", "--class", "999999",
                                             "--out", str(out)])
    assert bad.exit_code != 0 and "培训班不存在" in bad.output


def test_a_handout_above_the_general_request_limit_is_taken_on_the_class_form(
        app, world, make_client, cls):
    staff = _signed_in(make_client, "staff1")
    big = b"%PDF-1.4\n" + b"1" * (2 * 1024 * 1024) + b"\n%%EOF"
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        elsewhere = staff.post_form("/messages/consultation/new", {
            "body": "x", "attachments": (io.BytesIO(big), "a.pdf")},
            content_type="multipart/form-data")
        assert elsewhere.status_code == 413
        with _at(NOW):
            data = {**CLASS, "enroll_start": "2026-11-20T00:00", "enroll_end": "2026-11-25T23:59",
                    "handouts": (io.BytesIO(big), "大课件.pdf")}
            saved = staff.post_form(f"/training-admin/edit/{cls}", data,
                                    content_type="multipart/form-data")
        assert saved.status_code == 302, saved.status_code
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    page = staff.get(f"/training-admin/edit/{cls}").get_data(as_text=True)
    assert "大课件.pdf" in page and "下载(2M)" in page


# --- REST -----------------------------------------------------------------------------------

def _jwt(app, login):
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    return http, {"Authorization": f"Bearer {token}"}


def test_the_api_creates_enrolls_approves_and_records_results(app, world):
    staff, sh = _jwt(app, "staff1")
    firm, fh = _jwt(app, world.a.admin)
    member, mh = _jwt(app, world.member)
    with _at(NOW):
        created = staff.post("/api/v1/training_class/", headers=sh, json=CLASS)
        assert created.status_code == 201, created.get_json()
        class_id = created.get_json()["id"]
        refused = firm.post("/api/v1/training_class/", headers=fh, json=CLASS)
        assert refused.status_code in (401, 403)
        bad = staff.post("/api/v1/training_class/", headers=sh, json={**CLASS, "capacity": "x"})
        assert bad.status_code == 400 and bad.get_json()["field"] == "capacity"
        one = firm.post("/api/v1/enrollment/", headers=fh, json={"class_id": class_id, **form()})
        assert one.status_code == 201, one.get_json()
        cpa_only = firm.post("/api/v1/enrollment/", headers=fh,
                             json={"class_id": class_id, **form(person_kind="学生")})
        assert cpa_only.status_code == 400 and "人员类型" in cpa_only.get_json()["message"]
        mine = member.post("/api/v1/enrollment/", headers=mh, json={"class_id": class_id,
                                                                    "self": True})
        assert mine.status_code == 201, mine.get_json()
        pk = mine.get_json()["id"]
        assert firm.post(f"/api/v1/enrollment/{pk}/approve", headers=fh).status_code == 403
        approved = staff.post(f"/api/v1/enrollment/{pk}/approve", headers=sh)
        assert approved.get_json()["status"] == "审核通过"
        no_reason = staff.post(f"/api/v1/enrollment/{one.get_json()['id']}/reject", headers=sh,
                               json={})
        assert no_reason.status_code == 400 and "原因" in no_reason.get_json()["message"]
    with _at(AFTER):
        result = staff.post(f"/api/v1/enrollment/{pk}/result", headers=sh, json={"result": "合格"})
        assert result.status_code == 200 and result.get_json()["result"] == "合格"
        assert staff.post(f"/api/v1/enrollment/{pk}/result", headers=sh,
                          json={"result": "优秀"}).status_code == 400
    listing = member.get("/api/v1/enrollment/", headers=mh).get_json()
    assert listing["ids"] == [pk]
    hours = member.get("/api/v1/hour_record/", headers=mh).get_json()
    assert hours["count"] == 1 and hours["result"][0]["source_kind"] == "training_result"
    spec = staff.get("/api/v1/_openapi", headers=sh).get_json()["paths"]
    assert {"/api/v1/training_class/", "/api/v1/enrollment/{pk}/approve",
            "/api/v1/enrollment/{pk}/reject", "/api/v1/enrollment/{pk}/result",
            "/api/v1/waitlist_entry/"} <= set(spec)


def test_the_api_waiting_list(app, world):
    with app.app_context():
        full = make_class(capacity="1")
        taken = enrollment.enroll(user(world.b.admin), NOW, full, form()).id
    member, mh = _jwt(app, world.member)
    with _at(NOW):
        joined = member.post("/api/v1/waitlist_entry/", headers=mh, json={"class_id": full})
        assert joined.status_code == 201 and joined.get_json()["state"] == "候补中"
    with app.app_context():
        review.reject(user("staff1"), NOW, taken, remark="调整")
    with _at(NOW):
        accepted = member.post(f"/api/v1/waitlist_entry/{joined.get_json()['id']}/accept",
                               headers=mh)
        assert accepted.status_code == 200, accepted.get_json()
    with app.app_context():
        assert db.session.get(Enrollment, accepted.get_json()["enrollment_id"]).person_id \
            == world.a_people[0]


def test_a_firm_accepts_its_offer_through_the_form_and_never_another_entry(app, world,
                                                                         make_client):
    from app.models import WaitlistEntry
    from app.workflows.training import waitlist

    with app.app_context():
        full = make_class(capacity="1")
        taken = enrollment.enroll(user(world.b.admin), NOW, full, form()).id
        firm_entry = waitlist.join(user(world.a.admin), NOW, full).id
        member_entry = waitlist.join(user(world.member), NOW + dt.timedelta(minutes=1), full).id
        review.reject(user("staff1"), NOW, taken, remark="调整")
    client = _signed_in(make_client, world.a.admin)
    with _at(NOW):
        page = client.get("/training/waitlist/").get_data(as_text=True)
        assert "待确认" in page and "候补中（第1位）" in page
        # the member's entry is visible to its firm but not the firm's to decide
        refused = client.post_form(f"/training/waitlist/{member_entry}/accept",
                                   follow_redirects=True)
        assert refused.status_code == 200 and "只能处理本单位或本人的候补" in refused.get_data(
            as_text=True)
        go = client.post_form(f"/training/waitlist/{firm_entry}/accept")
        assert go.headers["Location"].endswith(f"/training/classes/{full}/enroll")
        done = client.post_form(f"/training/classes/{full}/enroll", form(name="候补人", phone="18800002222"),
                                follow_redirects=True)
        assert "已为候补人报名" in done.get_data(as_text=True)
    with app.app_context():
        entry = db.session.get(WaitlistEntry, firm_entry)
        assert entry.accepted_at is not None and entry.enrollment_id is not None


def test_two_staff_deciding_the_same_enrollment_the_second_is_told(app, world, make_client, cls):
    """Issue 22, finding 6: both were told 成功 (the review page sent no version). Each
    reads the page, the first approves, the second — from the page it still shows —
    refuses: it is told the row was decided, and nothing of its request is done."""
    from app.roles import STAFF
    from tests.helpers import make_user

    make_user(app, "staff2", STAFF)
    with app.app_context():
        row_id = enrollment.enroll(user(world.a.admin), NOW, cls, form()).id
        db.session.commit()
    first, second = _signed_in(make_client, world.staff), _signed_in(make_client, "staff2")

    def shown(client):
        with _at(NOW):
            page = client.get(f"/training-admin/{cls}").get_data(as_text=True)
        return dict(re.findall(r'name="(version_\d+)" value="(\d+)"', page))

    seen_first, seen_second = shown(first), shown(second)
    assert seen_first == seen_second == {f"version_{row_id}": "1"}
    with _at(NOW):
        done = first.post_form(f"/training-admin/{cls}/decide",
                               {"event": "approve", "rowid": [str(row_id)], **seen_first},
                               follow_redirects=True).get_data(as_text=True)
        late = second.post_form(f"/training-admin/{cls}/decide",
                                {"event": "reject", "remark": "材料不全", "rowid": [str(row_id)],
                                 **seen_second}, follow_redirects=True).get_data(as_text=True)
    assert "已审核通过1人" in done
    # issue 25: the row is reported as decided by someone else first, by name (each row of
    # a bulk decision has its own outcome; nothing else of the request was refused with it)
    assert "孙助理：该记录已被他人处理（当前状态：审核通过）" in late and "已审核未通过" not in late
    with app.app_context():
        assert db.session.get(Enrollment, row_id).status == EnrollmentStatus.APPROVED


def test_the_enrollment_lists_page_instead_of_drawing_every_row(app, world, make_client):
    """本单位报名情况 (firm admin) and 培训班详情 (staff) show a page of the class's enrollments
    with the pager; page 2 holds the rest (issue 28: no list renders an unbounded table)."""
    with app.app_context():
        cls = make_class(capacity="100")
        for n in range(25):
            enrollment.enroll(user(world.a.admin), NOW, cls,
                              form(name=f"分页{n:02d}", phone=f"188272{n:05d}"))
    firm_admin = _signed_in(make_client, world.a.admin)
    staff = _signed_in(make_client, world.staff)
    for client, path, row in ((firm_admin, f"/training/classes/{cls}/roster", "roster-row"),
                              (staff, f"/training-admin/{cls}", "enrollment-row")):
        with _at(NOW):
            first = client.get(path).get_data(as_text=True)
            second = client.get(f"{path}?page=2").get_data(as_text=True)
        assert first.count(f'class="{row}"') == 20, path
        assert second.count(f'class="{row}"') == 5, path
        assert 'id="pager"' in first and "共 25 条，第 1 / 2 页" in first
        assert "共 25 条，第 2 / 2 页" in second
        names = re.findall(r"分页\d\d", first + second)
        assert sorted(set(names)) == [f"分页{n:02d}" for n in range(25)], path
        assert re.search(rf'href="{path}\?[^"]*page=2"', first), path
