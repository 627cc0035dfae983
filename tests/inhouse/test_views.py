"""事务所内部培训 through the pages, the REST verbs and the CLI: a firm walks qualification →
class → bulk and special upload with the preview → staff approve → the hours appear in the
person's 学员年度学时; the 7-day and 15-day rules refuse with their messages."""
import datetime as dt
import io
import json
import re

from openpyxl import load_workbook

from app import clock
from app.extensions import db
from app.models import HourRecord, InhouseClass, InhouseQualification, InhouseRosterEntry
from app.workflows.inhouse import qualification, reports
from tests.helpers import id_number
from tests.inhouse.world import PDF, a_class, docx_bytes, qualified, xlsx_bytes
from tests.registry.test_api import bearer
from tests.xlsx import xlsx

BULK = ["是否注师", "证书编号", "姓名", "身份证号", "级别"]
SPECIAL = BULK + ["学时获得方式", "获得学时"]


def _today():
    return clock.local_today(clock.now())


def _files():
    return {qualification.SCAN.name: (io.BytesIO(PDF), "盖章版.pdf"),
            qualification.WORD.name: (io.BytesIO(docx_bytes()), "申请表.docx"),
            qualification.POLICY.name: (io.BytesIO(PDF), "培训制度.pdf"),
            qualification.PLAN.name: (io.BytesIO(xlsx_bytes()), "培训计划.xlsx")}


def _class_form(start, **changes):
    form = {"name": "金融课程一期", "category": "专业课", "hours": "16",
            "start_date": start.isoformat(), "end_date": start.isoformat(),
            "address": "公司会议室3021", "leader": "苗迈", "contact": "15019982611"}
    form.update(changes)
    return form


def _token(response):
    return re.search(r"/imports/preview/([^/?#]+)", response.headers["Location"]).group(1)


def test_firm_walks_qualification_class_uploads_and_staff_approve(app, world, client,
                                                                   make_client):
    year = _today().year
    client.login(world.a.admin)
    page = client.get("/inhouse/qualification/").get_data(as_text=True)
    assert "内培资格申请表盖章版扫描件" in page and "支持 .png, .jpg, .pdf 格式" in page
    template = client.get("/inhouse/qualification/template.docx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    # no qualification yet: a class is refused, and the firm is told why
    start = _today() + dt.timedelta(days=10)
    refused = client.post_form("/inhouse/classes/add", _class_form(start))
    assert refused.status_code == 400  # the form again, with the refusal's status (issue 25)
    assert f"尚无{start.year}年度审核通过的内培资格" in refused.get_data(as_text=True)
    done = client.post_form("/inhouse/qualification/", {"year": str(year), **_files()},
                            content_type="multipart/form-data")
    assert done.status_code == 302
    with app.app_context():
        qualification = db.session.query(InhouseQualification).one()
        q_id = qualification.id
    staff_web = make_client()
    staff_web.login(world.staff)
    queue = staff_web.get("/inhouse/review/qualification/").get_data(as_text=True)
    assert "盖章版.pdf" in queue and world.a.name in queue
    # a rejection needs a reason
    no_reason = staff_web.post_form("/inhouse/review/qualification/decide",
                                    {"ids": str(q_id), "decision": "reject"},
                                    follow_redirects=True)
    assert "审核未通过须填写原因" in no_reason.get_data(as_text=True)
    http = app.test_client()
    staff_api = bearer(http, world.staff)
    approved = http.post(f"/api/v1/inhouse_qualification/{q_id}/approve", headers=staff_api,
                         json={})
    assert approved.status_code == 200 and approved.get_json()["status"] == "审核通过"
    if start.year != year:  # near the year end the class falls in the next year
        with app.app_context():
            qualified(world.a.id, start.year, clock.now())

    # 7-day rule
    late = client.post_form("/inhouse/classes/add",
                            _class_form(_today() + dt.timedelta(days=6), name="太晚的班"))
    assert "培训班需在开班前至少提前一周上报，逾期则无法上报。" in late.get_data(as_text=True)
    assert client.post_form("/inhouse/classes/add", _class_form(start)).status_code == 302
    assert client.post_form("/inhouse/classes/add", _class_form(
        start, name="职业道德专题", category="职业道德", hours="4")).status_code == 302
    listing = client.get(f"/inhouse/classes/?year={start.year}").get_data(as_text=True)
    assert "金融课程一期" in listing and "填报说明" in listing and "上报中注协" in listing
    with app.app_context():
        ids = {c.name: c.id for c in db.session.query(InhouseClass)}
    one, ethics = ids["金融课程一期"], ids["职业道德专题"]

    # 特殊上报 with two classes ticked is refused with a message
    several = client.get(f"/inhouse/classes/report?class={one}&class={ethics}&mode=special",
                         follow_redirects=True)
    assert "特殊上报一次只能选择一个培训班" in several.get_data(as_text=True)
    # 上报名单 (bulk) for both classes
    go = client.get(f"/inhouse/classes/report?class={one}&class={ethics}&mode=bulk")
    assert go.status_code == 302 and "/imports/inhouse_roster/" in go.headers["Location"]
    upload_page = client.get(go.headers["Location"]).get_data(as_text=True)
    assert "是否注师、姓名、级别为必填项。" in upload_page and "mode=bulk" in upload_page
    bad = xlsx([["是", "110199999999", "王五", None, "助理"],
                ["是", "110100010001", "张三", None, "助理"],
                ["否", None, "张二", id_number(2), "项目经理"],
                ["否", None, "张二", id_number(2), "项目经理"]], headers=BULK)
    form = {"file": (io.BytesIO(bad), "名单.xlsx"), "class": [str(one), str(ethics)],
            "mode": "bulk"}
    response = client.post_form("/imports/inhouse_roster/", form,
                                content_type="multipart/form-data")
    preview = client.get(f"/imports/preview/{_token(response)}").get_data(as_text=True)
    for label in ("待导入总人数", "证书编号不存在", "证书编号与身份证号或姓名不匹配", "重复导入"):
        assert label in preview
    good = xlsx([["是", "110100010001", "张一", None, "合伙人"],
                 ["否", None, "张二", id_number(2), "项目经理"]], headers=BULK)
    form = {"file": (io.BytesIO(good), "名单.xlsx"), "class": [str(one), str(ethics)],
            "mode": "bulk"}
    token = _token(client.post_form("/imports/inhouse_roster/", form,
                                    content_type="multipart/form-data"))
    assert "正式导入" in client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert client.post_form(f"/imports/commit/{token}").status_code == 302
    roster = client.get(f"/inhouse/classes/{one}/roster").get_data(as_text=True)
    assert "张一" in roster and "张二" in roster and "已报名" in roster
    # 单个上报: 张三 by form; 特殊上报 of 张三 into the ethics class, 2 of its 4 hours
    assert client.post_form(f"/inhouse/classes/{one}/roster/add", {
        "is_cpa": "否", "name": "张三", "id_number": id_number(3), "level": "助理",
        "acquisition": "执业机构内培", "hours": "16"}).status_code == 302
    special = xlsx([["否", None, "张三", id_number(3), "助理", "授课", "2"]], headers=SPECIAL)
    token = _token(client.post_form("/imports/inhouse_roster/", {
        "file": (io.BytesIO(special), "特殊.xlsx"), "class": str(ethics), "mode": "special"},
        content_type="multipart/form-data"))
    assert client.post_form(f"/imports/commit/{token}").status_code == 302
    export = client.get(f"/inhouse/classes/{one}/roster?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "姓名", "是否注册") and len(rows) == 4

    # staff approve the classes, then every entry; hours reach 学员年度学时
    for pk in (one, ethics):
        assert http.post(f"/api/v1/inhouse_class/{pk}/approve", headers=staff_api,
                         json={}).status_code == 200
    with app.app_context():
        entries = [e.id for e in db.session.query(InhouseRosterEntry)]
    # 「培训通过人员名单」: nobody has passed a class that has not ended (issue 23 item 2)
    early = staff_web.post_form("/inhouse/review/entry/decide",
                                {"ids": [str(e) for e in entries], "decision": "approve"},
                                follow_redirects=True).get_data(as_text=True)
    assert "起才能审核通过其学员" in early and "已审核通过 6 条" not in early
    with app.app_context():
        assert db.session.query(HourRecord).count() == 0
        for item in db.session.query(InhouseClass):  # the classes take place
            item.start_date = item.end_date = _today() - dt.timedelta(days=1)
        db.session.commit()
    # the queue carries the version of each row it shows (issue 22)
    queue = staff_web.get("/inhouse/review/entry/").get_data(as_text=True)
    shown = dict(re.findall(r'name="(version_\d+)" value="(\d+)"', queue))
    assert {int(k[8:]) for k in shown} == set(entries)
    done = staff_web.post_form("/inhouse/review/entry/decide",
                               {"ids": [str(e) for e in entries], "decision": "approve", **shown},
                               follow_redirects=True)
    assert f"已审核通过 {len(entries)} 条学员名单" in done.get_data(as_text=True)
    # a second member of staff, deciding from the page it read before: told, nothing done
    late = staff_web.post_form("/inhouse/review/entry/decide",
                               {"ids": [str(entries[0])], "decision": "reject",
                                "remark": "未出勤", **shown}, follow_redirects=True)
    assert "该记录已被他人处理（当前状态：审核通过）" in late.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HourRecord).count() == len(entries) == 6
    annual = client.get(f"/hours/annual/?year={start.year}").get_data(as_text=True)
    assert "张三" in annual and "18.0" in annual  # 16 + 2
    # the CICPA workbook from the button, the same from the CLI
    workbook = client.get(f"/inhouse/cicpa/?year={start.year}")
    sheets = load_workbook(io.BytesIO(workbook.data)).sheetnames
    assert sheets == ["培训班", "学员学时"]
    # a firm admin never decides
    firm_api = bearer(http, world.a.admin)
    assert http.post(f"/api/v1/inhouse_roster_entry/{entries[0]}/reject", headers=firm_api,
                     json={"remark": "x"}).status_code in (401, 403)
    rejected = http.post(f"/api/v1/inhouse_roster_entry/{entries[0]}/reject", headers=staff_api,
                         json={"remark": "未参加"})
    assert rejected.status_code == 200
    with app.app_context():
        assert db.session.query(HourRecord).count() == 5


def test_fifteen_day_rule_in_the_pages(app, world, client):
    with app.app_context():
        end = _today() - dt.timedelta(days=16)
        qualified(world.a.id, end.year, clock.now())
        old = a_class(world.a.id, clock.now(), name="早已结束的班", start=end, days=1)
    client.login(world.a.admin)
    refused = client.post_form(f"/inhouse/classes/{old}/roster/add", {
        "is_cpa": "否", "name": "张二", "id_number": id_number(2), "level": "助理"})
    assert "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。" in \
        refused.get_data(as_text=True)
    upload = client.post_form("/imports/inhouse_roster/", {
        "file": (io.BytesIO(xlsx([["否", None, "张二", id_number(2), "助理"]], headers=BULK)),
                 "名单.xlsx"), "class": str(old), "mode": "bulk"},
        content_type="multipart/form-data")
    assert "15天内完成" in upload.get_data(as_text=True)


def test_cli_import_and_export(app, world, tmp_path):
    with app.app_context():
        qualified(world.a.id, 2026, clock.now())
        start = _today() + dt.timedelta(days=1)
        pk = a_class(world.a.id, clock.now(), name="命令行班", start=start)
    sheet = tmp_path / "名单.xlsx"
    sheet.write_bytes(xlsx([["是", "110100010001", "张一", None, "合伙人"],
                            ["是", "110199999999", "王五", None, "助理"]], headers=BULK))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "inhouse-roster", "--class", str(pk), "--mode", "bulk",
                                 str(sheet)])
    body = json.loads(result.output)
    assert body["counts"]["待导入总人数"] == 2 and body["counts"]["证书编号不存在"] == 1
    assert result.exit_code == 1
    sheet.write_bytes(xlsx([["是", "110100010001", "张一", None, "合伙人"]], headers=BULK))
    result = runner.invoke(args=["import", "inhouse-roster", "--class", str(pk), "--mode", "bulk",
                                 str(sheet), "--commit"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(InhouseRosterEntry).count() == 1
    out = tmp_path / "汇总.xlsx"
    result = runner.invoke(args=["export", "cicpa", "--firm", world.a.code, "--year",
                                 str(start.year), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out)["学员学时"].iter_rows(values_only=True))
    assert rows[1][5] == "张一"
    assert runner.invoke(args=["export", "cicpa", "--firm", "99999999", "--year", "2026",
                               "--out", str(out)]).exit_code == 1


def test_rest_verbs_need_a_reason_to_reject_and_list_in_openapi(app, world):
    with app.app_context():
        pk = a_class(world.a.id, clock.now(), name="接口班", start=_today())
    http = app.test_client()
    staff = bearer(http, world.staff)
    refused = http.post(f"/api/v1/inhouse_class/{pk}/reject", headers=staff, json={})
    assert refused.status_code == 400 and "原因" in refused.get_json()["message"]
    verbs = http.get(f"/api/v1/inhouse_class/{pk}/_verbs", headers=staff).get_json()["verbs"]
    assert {v["verb"] for v in verbs} == {"approve", "reject"}
    done = http.post(f"/api/v1/inhouse_class/{pk}/reject", headers=staff,
                     json={"remark": "地址不详"})
    assert done.status_code == 200 and done.get_json()["status"] == "审核未通过"
    firm = bearer(http, world.a.admin)
    listed = http.get("/api/v1/inhouse_class/", headers=firm).get_json()["result"]
    assert [r["name"] for r in listed] == ["接口班"]
    assert http.get("/api/v1/inhouse_class/", headers=bearer(http, world.b.admin)
                    ).get_json()["result"] == []
    spec = http.get("/api/v1/_openapi", headers=staff).get_json()["paths"]
    for resource in ("inhouse_qualification", "inhouse_class", "inhouse_roster_entry"):
        for verb in ("approve", "reject"):
            assert f"/api/v1/{resource}/{{pk}}/{verb}" in spec


def test_certificate_lookup_fills_the_form_for_the_firms_own_cpas_only(app, world, client):
    with app.app_context():
        pk = a_class(world.a.id, clock.now(), name="查找班", start=_today())
    client.login(world.a.admin)
    own = client.get(f"/inhouse/classes/{pk}/person?cert=110100010001").get_json()
    assert own == {"found": True, "name": "张一", "id_number": id_number(1)}
    other = client.get(f"/inhouse/classes/{pk}/person?cert=110100020001").get_json()
    assert other == {"found": False, "message": "证书编号不存在"}  # firm B's CPA
    page = client.get(f"/inhouse/classes/{pk}/roster/add").get_data(as_text=True)
    assert "inhouse/entry.js" in page and f"/inhouse/classes/{pk}/person" in page


def test_year_end_report_page_uploads_replaces_and_downloads(app, world, client):
    year = _today().year
    with app.app_context():
        qualified(world.a.id, year, clock.now())
    client.login(world.a.admin)
    wrong = client.post_form("/inhouse/report/", {
        "year": str(year), reports.REPORT.name: (io.BytesIO(b"not a pdf"), "总结.pdf")},
        content_type="multipart/form-data")
    assert "总结.pdf" in wrong.get_data(as_text=True) and "内容不是" in wrong.get_data(as_text=True)
    for name in ("总结.pdf", "总结（修改）.pdf"):
        assert client.post_form("/inhouse/report/", {
            "year": str(year), reports.REPORT.name: (io.BytesIO(PDF), name)},
            content_type="multipart/form-data").status_code == 302
    page = client.get("/inhouse/report/").get_data(as_text=True)
    assert "总结（修改）.pdf" in page and "Bytes" not in page
    link = re.search(r'href="(/inhouse/file/\d+)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    other = make_client_for(app, world.b.admin)
    assert other.get(link).status_code == 404


def make_client_for(app, login):
    from tests.helpers import WebClient

    web = WebClient(app.test_client())
    web.login(login)
    return web


def test_staff_read_every_firms_year_end_report_and_firms_keep_their_own(app, world,
                                                                          make_client):
    """Seed 000 §6.3 年终总结报告: firms upload, and the institute reads them — staff list the
    year's reports (年度, 事务所, 上传时间, download), filter by year and firm, see the firms of
    the year that have not uploaded as 未提交, and export the list; a firm admin's page stays
    its own and the staff list is refused to it (issue 23 item 1)."""
    from app.workflows.core import files
    year = _today().year
    with app.app_context():
        from flask_appbuilder.security.sqla.models import User
        admin = db.session.query(User).filter_by(username=world.a.admin).one()
        qualified(world.a.id, year, clock.now())
        qualified(world.b.id, year, clock.now())
        reports.upload_report(admin, clock.now(), year,
                              files.Upload.from_bytes("甲所年度内部培训工作总结.pdf", PDF))
        db.session.commit()
    staff = make_client()
    assert staff.login(world.staff).status_code == 302
    assert "各所年终总结报告" in staff.get("/inhouse/review/").get_data(as_text=True)  # menu
    page = staff.get(f"/inhouse/review/reports/?year={year}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "甲所年度内部培训工作总结.pdf" in html and world.b.name in html and "未提交" in html
    download = re.search(r'href="(/inhouse/file/\d+)"', html).group(1)
    got = staff.get(download)
    assert got.status_code == 200 and got.data == PDF
    only_b = staff.get(f"/inhouse/review/reports/?year={year}&firm={world.b.id}")
    text = only_b.get_data(as_text=True)
    assert world.b.name in text and "甲所年度" not in text
    assert "没有需提交" in staff.get(f"/inhouse/review/reports/?year={year - 3}").get_data(
        as_text=True)
    book = load_workbook(io.BytesIO(staff.get(
        f"/inhouse/review/reports/export/xlsx/?year={year}").data)).active
    rows = [[c.value for c in r] for r in book.iter_rows()]
    assert rows[0] == ["年度", "事务所编号", "事务所", "上传时间", "年终总结报告"]
    assert [year, world.a.code, world.a.name] == rows[1][:3] and isinstance(rows[1][3], dt.datetime)
    assert rows[1][4] == "甲所年度内部培训工作总结.pdf"
    assert rows[2][2:] == [world.b.name, None, "未提交"]
    # the firm admin: its own page, never the institute's list
    firm = make_client()
    assert firm.login(world.b.admin).status_code == 302
    assert firm.get(f"/inhouse/review/reports/?year={year}").status_code in (302, 403)
    assert firm.get(f"/inhouse/review/reports/export/xlsx/?year={year}").status_code in (302, 403)
    own = firm.get("/inhouse/report/").get_data(as_text=True)
    assert "甲所年度" not in own and "尚未上传年终总结报告" in own
    assert firm.get(download).status_code == 404


def test_the_preview_never_heads_error_rows_as_rows_without_errors(app, world, make_client):
    """Issue 23: 「无错误的行」 stood above the rows the error table names (证书编号不存在, 重复导入):
    those rows are marked and the heading says so; a listing without them keeps 「无错误的行」."""
    start = _today() + dt.timedelta(days=10)
    with app.app_context():
        qualified(world.a.id, start.year, clock.now())
        pk = a_class(world.a.id, clock.now(), name="预览标题班", start=start)
    client = make_client()
    assert client.login(world.a.admin).status_code == 302
    bad = xlsx([["是", "110199999999", "王五", None, "助理"],
                ["否", None, "张二", id_number(2), "项目经理"]], headers=BULK)
    token = _token(client.post_form("/imports/inhouse_roster/", {
        "file": (io.BytesIO(bad), "名单.xlsx"), "class": str(pk), "mode": "bulk"},
        content_type="multipart/form-data"))
    page = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert "证书编号不存在" in page
    title = re.search(r'<h4 id="import-listing-title">(.*?)</h4>', page).group(1)
    assert "无错误的行" not in title and "有错误" in title
    assert re.search(r'class="danger listing-wrong"><td>证书编号不存在</td><td>2</td>', page)
