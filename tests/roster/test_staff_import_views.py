"""从业人员管理 and 导入名单 through the UI, the REST API and the CLI."""
import io
import json
import re
import time

from openpyxl import load_workbook

from app.models import PersonStatus
from app.extensions import db
from app.models import ImportBatch, Person
from tests.helpers import PASSWORD
from tests.xlsx import xlsx

GOOD = [["新一", "13700000001", None, "其他从业人员", "审计员"],
        ["新二", "13700000002", None, None, "助理"]]


def _upload(client, data, name="名单.xlsx", firm=None):
    form = {"file": (io.BytesIO(data), name)}
    if firm:
        form["firm"] = firm
    return client.post_form("/imports/staff/", form, content_type="multipart/form-data")


def _token(response):
    return re.search(r"/imports/preview/([^/?#]+)", response.headers["Location"]).group(1)


def _a_roster(world):
    # firm A's whole current list plus GOOD
    return [["张一", "13800000001", None, "其他从业人员", "合伙人"],
            ["张二", "13800000002", None, None, "审计员"],
            ["张三", "13800000003", None, None, "助理"]] + GOOD


def test_firm_admin_downloads_template_uploads_previews_and_commits(app, world, client):
    client.login(world.a.admin)
    page = client.get("/imports/staff/").get_data(as_text=True)
    assert "从业人员用户名为“kj+手机号”" in page and "不在名单中的将会被撤销" in page
    template = client.get("/imports/staff/template.xlsx")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.data)).active
    assert [c.value for c in sheet[1]] == ["姓名", "手机号", "身份证号", "类型", "职位"]

    roster = _a_roster(world)
    roster[0][3] = "注册会计师"  # 张一 is a registered CPA (has a certificate number)
    response = _upload(client, xlsx(roster))
    assert response.status_code == 302
    token = _token(response)
    preview = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert "待导入总人数" in preview and "新增" in preview and "正式导入" in preview
    with app.app_context():
        assert db.session.query(Person).filter_by(phone="13700000001").count() == 0
    done = client.post_form(f"/imports/commit/{token}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/staffrosterview/list/")
    listing = client.get("/staffrosterview/list/").get_data(as_text=True)
    assert "kj13700000001" in listing and "新一" in listing
    assert "李一" not in listing  # firm B's roster stays out of sight
    assert "导入名单" in listing


def test_errors_are_listed_with_row_and_column_and_can_be_downloaded(app, world, client):
    client.login(world.a.admin)
    bad = _a_roster(world) + [["坏", "12345", None, None, None]]
    bad[0][3] = "注册会计师"
    token = _token(_upload(client, xlsx(bad)))
    page = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert "手机号应为11位中国大陆手机号码" in page and "<td>7</td>" in page
    assert 'id="commit-button"' not in page
    report = client.get(f"/imports/report/{token}.xlsx")
    rows = list(load_workbook(io.BytesIO(report.data)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误说明" and "手机号应为11位" in rows[6][-1]
    assert client.post_form(f"/imports/commit/{token}").status_code == 302
    with app.app_context():
        assert db.session.query(Person).filter_by(phone="13700000001").count() == 0


def test_mass_revocation_is_shown_in_red_and_needs_the_checkbox(app, world, client):
    client.login(world.a.admin)
    token = _token(_upload(client, xlsx(GOOD)))  # A's three people would all be revoked
    page = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert 'id="mass-revoke-warning"' in page and "超过20%" in page
    refused = client.post_form(f"/imports/commit/{token}", follow_redirects=True)
    assert "请勾选再次确认" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Person).filter_by(firm_id=world.a.id, status=PersonStatus.REVOKED).count() == 0
    client.post_form(f"/imports/commit/{token}", {"confirm": "1"})
    with app.app_context():
        assert db.session.query(Person).filter_by(firm_id=world.a.id, status=PersonStatus.REVOKED).count() == 3


def test_another_firm_cannot_see_or_commit_a_preview(app, world, client, make_client):
    client.login(world.a.admin)
    token = _token(_upload(client, xlsx(_a_roster(world)[1:])))
    other = make_client()
    other.login(world.b.admin)
    for path in (f"/imports/preview/{token}", f"/imports/status/{token}",
                 f"/imports/report/{token}.xlsx"):
        assert other.get(path).status_code == 404
    assert other.post_form(f"/imports/commit/{token}").status_code == 404
    # a firm admin cannot aim the upload at another firm
    with app.app_context():
        batches = db.session.query(ImportBatch).count()
    response = _upload(other, xlsx(GOOD), firm=world.a.code)
    assert response.status_code == 403 and "只能导入本所的从业人员名单" in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.query(ImportBatch).count() == batches


def test_staff_choose_the_firm(app, world, client):
    client.login(world.staff)
    assert "请选择事务所" in client.get("/imports/staff/").get_data(as_text=True)
    missing = _upload(client, xlsx(GOOD))
    assert "请选择事务所" in missing.get_data(as_text=True)
    token = _token(_upload(client, xlsx(GOOD), firm=world.b.code))
    with app.app_context():
        assert db.session.query(ImportBatch).filter_by(token=token).one().firm_id == world.b.id


def test_reset_password_returns_to_the_initial_password(app, world, client, make_client):
    client.login(world.a.admin)
    token = _token(_upload(client, xlsx(_a_roster(world)[1:])))
    client.post_form(f"/imports/commit/{token}", {"confirm": "1"})
    with app.app_context():
        pid = db.session.query(Person).filter_by(phone="13700000001").one().id
    person = make_client()
    assert person.login("kj13700000001", "000001").status_code == 302 and person.signed_in
    person.post_form("/account/first-login/", {"new_password": "abc12345", "repeat": "abc12345"})
    person.logout()
    assert person.login("kj13700000001", "abc12345").status_code == 302 and person.signed_in
    person.logout()
    response = client.post_form("/staffrosterview/action_post",
                                {"action": "reset_password", "rowid": str(pid)})
    assert response.status_code == 302
    person.login("kj13700000001", "abc12345")
    assert not person.signed_in
    person.login("kj13700000001", "000001")
    assert person.signed_in
    assert person.get("/").headers["Location"].endswith("/account/first-login/")


def test_large_files_are_previewed_in_the_background_with_progress(app, world, client,
                                                                   monkeypatch):
    from app.workflows.core.importing import batches

    monkeypatch.setattr(batches, "BACKGROUND_BYTES", 1000)
    client.login(world.staff)
    rows = [[f"人{i}", f"1360000{i:04d}", None, None, None] for i in range(3000)]
    response = _upload(client, xlsx(rows), firm=world.b.code)
    token = _token(response)
    status = client.get(f"/imports/status/{token}").get_json()
    deadline = time.time() + 60
    seen = [status["progress"]]
    while not status["done"] and time.time() < deadline:
        time.sleep(0.2)
        status = client.get(f"/imports/status/{token}").get_json()
        seen.append(status["progress"])
    assert status["done"] and status["status"] == "待确认"
    assert seen == sorted(seen)
    page = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert "3000人" in page


def test_rest_preview_and_commit(app, world):
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": world.a.admin, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    preview = http.post("/api/v1/staff_import/preview", headers=headers,
                        data={"file": (io.BytesIO(xlsx(_a_roster(world)[1:])), "a.xlsx")},
                        content_type="multipart/form-data")
    assert preview.status_code == 200
    body = preview.get_json()
    assert body["total"] == 4 and body["valid"] == 4 and body["errors"] == []
    assert body["counts"]["新增"] == 2 and body["counts"]["撤销"] == 1
    b_token = http.post("/api/v1/security/login", json={
        "username": world.b.admin, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    stolen = http.post(f"/api/v1/staff_import/{body['token']}/commit",
                       headers={"Authorization": f"Bearer {b_token}"}, json={})
    assert stolen.status_code == 404
    committed = http.post(f"/api/v1/staff_import/{body['token']}/commit", headers=headers,
                          json={"confirm_mass_revoke": True})
    assert committed.status_code == 200 and committed.get_json()["counts"]["新增"] == 2
    again = http.post(f"/api/v1/staff_import/{body['token']}/commit", headers=headers, json={})
    assert again.status_code == 400 and "不能重复提交" in again.get_json()["message"]
    bad = http.post("/api/v1/staff_import/preview", headers=headers,
                    data={"file": (io.BytesIO(b"not a workbook"), "a.xlsx")},
                    content_type="multipart/form-data")
    assert bad.status_code == 200 and "改了扩展名" in bad.get_json()["errors"][0]["message"]
    spec = http.get("/api/v1/_openapi", headers=headers).get_json()
    assert "/api/v1/staff_import/preview" in spec["paths"]


def test_cli_prints_the_preview_and_commits_only_when_asked(app, world, tmp_path):
    import json

    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx(_a_roster(world)[1:]))
    runner = app.test_cli_runner()
    preview = runner.invoke(args=["import", "staff", "--firm", world.a.code, str(path)])
    assert preview.exit_code == 0, preview.output
    body = json.loads(preview.output)
    assert body["total"] == 4 and body["counts"]["新增"] == 2
    with app.app_context():
        assert db.session.query(Person).filter_by(phone="13700000001").count() == 0
    committed = runner.invoke(args=["import", "staff", "--firm", world.a.code, str(path),
                                    "--commit", "--confirm-mass-revoke"])
    assert committed.exit_code == 0, committed.output
    with app.app_context():
        assert db.session.query(Person).filter_by(phone="13700000001").count() == 1
    unknown = runner.invoke(args=["import", "staff", "--firm", "99999999", str(path)])
    assert unknown.exit_code == 1 and "不存在" in unknown.output


def test_the_preview_page_names_people_pages_them_and_the_confirmation_names_them(
        app, world, client):
    client.login(world.a.admin)
    many = [[f"新人{n:03d}", f"137{n:08d}", None, None, None] for n in range(1, 61)]
    token = _token(_upload(client, xlsx(many)))  # A's three people would all be revoked
    page = client.get(f"/imports/preview/{token}").get_data(as_text=True)
    assert 'id="import-listing"' in page and "新人001" in page and "新人050" in page
    assert "新人051" not in page and 'id="import-listing-pages"' in page  # 50 a page
    second = client.get(f"/imports/preview/{token}?page=2").get_data(as_text=True)
    assert "新人051" in second and "新人060" in second and "新人001" not in second
    # the revocation warning names whom it revokes, and so does the 撤销 tab
    names = re.search(r'id="confirm-names">(.*?)</p>', page).group(1)
    assert names == "将撤销：张一、张三、张二" or set(names[4:].split("、")) == {"张一", "张二", "张三"}
    revoked = client.get(f"/imports/preview/{token}?category=撤销").get_data(as_text=True)
    assert "张二" in revoked and "新人001" not in revoked
    assert client.get(f"/imports/preview/{token}?page=999").status_code == 200  # clamped


def test_the_roster_list_has_per_row_edit_and_reset_links(app, world, client, make_client):
    """Seed 000 §3: the list's 操作 column — 修改 重置密码 — on each row."""
    client.login(world.a.admin)
    token = _token(_upload(client, xlsx(_a_roster(world))))
    client.post_form(f"/imports/commit/{token}", {"confirm": "1"})
    with app.app_context():
        pid = db.session.query(Person).filter_by(phone="13700000001").one().id
        other = db.session.query(Person).filter_by(firm_id=world.b.id).first().id
    page = client.get("/staffrosterview/list/").get_data(as_text=True)
    assert "<th>操作</th>" in page
    assert f'href="/staffrosterview/edit/{pid}" class="row-link">修改</a>' in page
    assert f'href="/staffrosterview/reset/{pid}" class="row-link">重置密码</a>' in page
    confirm = client.get(f"/staffrosterview/reset/{pid}").get_data(as_text=True)
    assert "确定将 <strong>新一</strong>" in confirm
    assert client.get(f"/staffrosterview/reset/{other}").status_code == 404  # not its firm
    assert client.post_form(f"/staffrosterview/reset/{other}").status_code == 404
    person = make_client()
    person.login("kj13700000001", "000001")
    person.post_form("/account/first-login/", {"new_password": "abc12345", "repeat": "abc12345"})
    person.logout()
    done = client.post_form(f"/staffrosterview/reset/{pid}", follow_redirects=True)
    assert "已将 1 个账号的密码重置为初始密码" in done.get_data(as_text=True)
    assert person.login("kj13700000001", "000001").status_code == 302 and person.signed_in


def test_the_export_imports_back_unchanged(app, world, client):
    """从业人员管理's export is the import template's columns (姓名, 手机号, 身份证号, 类型, 职位)
    followed by read-only extras, so export → import is a round trip that changes nothing —
    「every import must be the firm's whole list」 (issue 23 item 6): 身份证号 and 职位 travel,
    and a revoked person stays revoked."""
    client.login(world.a.admin)
    roster = _a_roster(world)
    roster[0][3] = "注册会计师"
    roster[3][2] = "11010519491231002X"
    token = _token(_upload(client, xlsx(roster)))
    client.post_form(f"/imports/commit/{token}", {"confirm": "1"})
    # 新二 leaves (revoked by a list without him), then the firm exports its list
    token = _token(_upload(client, xlsx([r for r in roster if r[0] != "新二"])))
    client.post_form(f"/imports/commit/{token}", {"confirm": "1"})
    with app.app_context():
        before = {(p.name, p.phone, p.id_number, p.person_type, p.position, p.status)
                  for p in db.session.query(Person).filter(Person.imported_at.is_not(None))}
    exported = client.get("/staffrosterview/export/xlsx/")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["姓名", "手机号", "身份证号", "类型", "职位"]
    assert header[5:] == ["登录名", "状态", "导入时间", "所在事务所"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["新一"][2] == "11010519491231002X" and rows["新一"][4] == "审计员"
    assert rows["新二"][6] == "撤销"
    again = _token(_upload(client, exported.data, name="从业人员管理.xlsx"))
    preview = client.get(f"/imports/preview/{again}").get_data(as_text=True)
    with app.app_context():
        from app.models import ImportBatch as Batch
        batch = db.session.query(Batch).filter_by(token=again).one()
        counts = json.loads(batch.summary)["counts"]
    assert "正式导入" in preview
    client.post_form(f"/imports/commit/{again}", {"confirm": "1"})
    with app.app_context():
        after = {(p.name, p.phone, p.id_number, p.person_type, p.position, p.status)
                 for p in db.session.query(Person).filter(Person.imported_at.is_not(None))}
    assert after == before
    assert (counts["新增"], counts["更新"], counts["恢复"], counts["撤销"]) == (0, 0, 0, 0)
    assert counts["不变"] == len(rows) - 1


def test_the_import_api_answers_a_refusal_with_the_one_error_body(app, world):
    from tests.registry.test_api import bearer

    http = app.test_client()
    headers = bearer(http, world.a.admin)
    missing = http.post("/api/v1/import/staff/preview", headers=headers)
    assert missing.status_code == 400
    assert missing.get_json() == {"message": "请上传文件（字段 file）", "field": "file"}
    unknown = http.get("/api/v1/import/no-such-token", headers=headers)
    assert unknown.status_code == 404
    assert unknown.get_json() == {"message": "导入预览不存在或已失效，请重新上传"}
