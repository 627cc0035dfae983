"""学时申请 through the pages and the REST verbs: a member files an 产出式 application with an
attachment, staff refuse it from the queue, the member corrects and refiles it, staff confirm
it through REST, the hours appear in 学时查询; the member's export and the download of its
attachment; a 豁免 confirmed in bulk."""
import io
import re

from openpyxl import load_workbook

from app.models import ApplicationStatus
from app import clock
from app.extensions import db
from app.models import HourApplication, HourRecord, Message
from flask_appbuilder.security.sqla.models import User
from app.workflows.applications import rules
from tests.applications.world import PDF
from tests.registry.test_api import bearer


def _year():
    return clock.local_today(clock.now()).year


def _file(name="授课证明.pdf"):
    return (io.BytesIO(PDF), name)


def _only(app):
    with app.app_context():
        return db.session.query(HourApplication).one().id


def test_output_refuse_refile_confirm_through_pages_and_rest(app, world, client, make_client):
    year = _year()
    client.login(world.member)
    page = client.get("/applications/new/output").get_data(as_text=True)
    assert "在协会组织的培训中授课（按实际授课时数的3倍计算）" in page
    assert "承担行业课题研究（每项4学时，最多12学时）" in page
    # no attachment: refused with the reason, nothing saved
    missing = client.post_form("/applications/new/output", {
        "year": year, "route": "在协会组织的培训中授课", "quantity": "3"})
    assert missing.status_code == 400 and "请上传证明材料" in missing.get_data(as_text=True)
    renamed = client.post_form("/applications/new/output", {
        "year": year, "route": "在协会组织的培训中授课", "quantity": "3",
        rules.PROOF.name: (io.BytesIO(b"MZ not a pdf"), "证明.pdf")},
        content_type="multipart/form-data")
    assert renamed.status_code == 400 and "证明.pdf" in renamed.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HourApplication).count() == 0
    saved = client.post_form("/applications/new/output", {
        "year": year, "route": "在协会组织的培训中授课", "quantity": "3", "remark": "授课",
        rules.PROOF.name: _file()}, content_type="multipart/form-data")
    assert saved.status_code == 302
    pk = _only(app)
    shown = client.get(f"/applications/{pk}").get_data(as_text=True)
    assert "未确认" in shown and "9.0" in shown and "授课证明.pdf" in shown
    listing = client.get("/applications/?kind=output").get_data(as_text=True)
    file_id = re.search(r"/applications/file/(\d+)", listing).group(1)
    download = client.get(f"/applications/file/{file_id}")
    assert download.status_code == 200 and download.data == PDF
    export = client.get("/applications/export")
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert [sheet.cell(2, c).value for c in (3, 6, 7, 9, 10)] == [
        "张一", "产出式", "在协会组织的培训中授课", 3, 9]  # numbers, not text
    assert sheet.cell(2, 10).number_format == "0.0"

    staff = make_client()
    staff.login(world.staff)
    queue = staff.get("/applications/review/").get_data(as_text=True)
    assert "张一" in queue and "在协会组织的培训中授课" in queue
    no_reason = staff.post_form("/applications/review/decide",
                                {"ids": [str(pk)], "decision": "refuse"}, follow_redirects=True)
    assert "不予确认须填写原因" in no_reason.get_data(as_text=True)
    staff.post_form("/applications/review/decide",
                    {"ids": [str(pk)], "decision": "refuse", f"reason_{pk}": "授课通知未盖章"})
    with app.app_context():
        assert db.session.get(HourApplication, pk).status == ApplicationStatus.REFUSED
        assert db.session.query(Message).filter(Message.body.contains("授课通知未盖章")).count() == 1
    # the member corrects it and files it again
    assert "授课通知未盖章" in client.get(f"/applications/{pk}").get_data(as_text=True)
    again = client.post_form(f"/applications/{pk}/edit", {
        "year": year, "route": "在协会组织的培训中授课", "quantity": "4", "remark": "补充盖章",
        rules.PROOF.name: _file("盖章版.pdf")}, content_type="multipart/form-data")
    assert again.status_code == 302
    with app.app_context():
        row = db.session.get(HourApplication, pk)
        assert (row.status, float(row.hours)) == (ApplicationStatus.PENDING, 12.0)
    # a member cannot confirm through REST; staff can, with the verb
    http = app.test_client()
    member_api = http.post(f"/api/v1/hour_application/{pk}/confirm",
                           headers=bearer(http, world.member), json={})
    assert member_api.status_code in (401, 403)
    staff_headers = bearer(http, world.staff)
    refused = http.post(f"/api/v1/hour_application/{pk}/refuse", headers=staff_headers, json={})
    assert refused.status_code == 400 and "原因" in refused.get_json()["message"]
    done = http.post(f"/api/v1/hour_application/{pk}/confirm", headers=staff_headers, json={})
    assert done.status_code == 200 and done.get_json()["status"] == "已确认"
    with app.app_context():
        record = db.session.query(HourRecord).one()
        assert (record.delivery, float(record.hours)) == ("产出式", 12.0)
    mine = client.get("/hours/mine/").get_data(as_text=True)
    assert "12.0" in mine
    # confirmed: no edit for the member
    locked = client.get(f"/applications/{pk}/edit", follow_redirects=True)
    assert "当前状态为“已确认”，不能修改" in locked.get_data(as_text=True)
    # staff take the confirmation back from the detail page
    staff.post_form(f"/applications/review/{pk}/revoke", {"remark": "重复申请"})
    with app.app_context():
        assert db.session.query(HourRecord).count() == 0


def test_exemption_and_input_forms_and_bulk_confirm(app, world, client, make_client):
    year = _year()
    client.login(world.member)
    page = client.get("/applications/new/exemption").get_data(as_text=True)
    assert "出国（境）六个月以上" in page
    client.post_form("/applications/new/exemption", {
        "year": year, "route": "生育（产假）", rules.PROOF.name: _file("生育证明.pdf")},
        content_type="multipart/form-data")
    bad = client.post_form("/applications/new/input", {
        "year": year, "route": "参加专业研讨会或论坛", "organizer": "", "hours": "8",
        rules.PROOF.name: _file()}, content_type="multipart/form-data")
    assert "请填写主办单位" in bad.get_data(as_text=True)
    client.post_form("/applications/new/input", {
        "year": year, "route": "参加专业研讨会或论坛", "organizer": "中国会计学会", "hours": "8",
        "category": "职业道德", rules.PROOF.name: _file()}, content_type="multipart/form-data")
    with app.app_context():
        ids = [str(r.id) for r in db.session.query(HourApplication).order_by(HourApplication.id)]
    assert len(ids) == 2
    staff = make_client()
    staff.login(world.staff)
    filtered = staff.get(f"/applications/review/?kind=exemption&status=未确认&year={year}"
                         f"&firm={world.a.id}").get_data(as_text=True)
    assert "生育（产假）" in filtered and "中国会计学会" not in filtered
    staff.post_form("/applications/review/decide", {"ids": ids, "decision": "confirm"})
    with app.app_context():
        assert {r.status for r in db.session.query(HourApplication)} == {ApplicationStatus.CONFIRMED}
        assert float(db.session.query(HourRecord).one().hours) == 8.0
    # the member's own delete is refused once confirmed
    gone = client.post_form(f"/applications/{ids[1]}/delete", follow_redirects=True)
    assert "当前状态为“已确认”，不能删除" in gone.get_data(as_text=True)


def test_staff_cannot_file_and_firm_admin_has_no_page(app, world, client):
    client.login(world.staff)
    assert client.get("/applications/new/input").status_code == 403
    client.logout()
    client.login(world.a.admin)
    assert client.get("/applications/").status_code in (302, 403)


def test_two_staff_on_one_applications_page_the_second_is_told(app, world, make_client):
    """Issue 22, finding 6: the one-row decision buttons send the version the page showed."""
    from app.roles import STAFF
    from tests.applications.test_rules import inputs, proof
    from tests.helpers import NOW, make_user

    make_user(app, "staff2", STAFF)
    with app.app_context():
        member = db.session.query(User).filter_by(username=world.member).one()
        pk = rules.file_application(member, NOW, inputs(hours="4"), proof()).id
        db.session.commit()
    first, second = make_client(), make_client()
    first.login(world.staff)
    second.login("staff2")

    def shown(client):
        page = client.get(f"/applications/{pk}").get_data(as_text=True)
        return re.findall(r'name="version" value="(\d+)"', page)[0]

    seen_first, seen_second = shown(first), shown(second)
    assert seen_first == seen_second
    done = first.post_form(f"/applications/review/{pk}/confirm", {"version": seen_first},
                           follow_redirects=True).get_data(as_text=True)
    assert "已确认" in done
    first.post_form(f"/applications/review/{pk}/revoke", {"remark": "误确认",
                                                         "version": shown(first)})
    late = second.post_form(f"/applications/review/{pk}/refuse",
                            {"remark": "材料不全", "version": seen_second},
                            follow_redirects=True).get_data(as_text=True)
    assert "该记录已被他人处理（当前状态：未确认）" in late
    with app.app_context():
        assert db.session.get(HourApplication, pk).status == ApplicationStatus.PENDING


def test_a_form_with_two_mistakes_shows_both_in_one_answer(app, world, client):
    client.login(world.member)
    bad = client.post_form("/applications/new/input", {
        "year": _year(), "route": "参加专业研讨会或论坛", "organizer": "", "hours": "八",
        rules.PROOF.name: _file()}, content_type="multipart/form-data")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "请填写主办单位" in page and "申请学时须为数字，最多一位小数" in page
    assert 'value="参加专业研讨会或论坛"' in page or "参加专业研讨会或论坛" in page
    with app.app_context():
        assert db.session.query(HourApplication).count() == 0
