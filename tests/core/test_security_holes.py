"""Security issue 2–5: REST CSRF, live formulas in generated files, small files that cost a
lot, per-account login limits, and what responses tell about the server."""
import io
import json
import re
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Firm, ImportBatch, ImportStatus, Person
from app.workflows import staff_list
from app.workflows.core import importing
from tests.helpers import NOW, PASSWORD, id_number
from tests.xlsx import STAFF_HEADERS, csv_bytes, xlsx

ROOT = Path(__file__).resolve().parents[2]
EVIL = {"Origin": "http://evil.example", "Referer": "http://evil.example/attack.html"}


def _signed_in_browser(make_client, login):
    client = make_client()
    client.login(login)
    assert client.signed_in
    return client


def _xlsx_file(rows):
    return (io.BytesIO(xlsx(rows)), "名单.xlsx")


# --- 2. CSRF on the REST API ---------------------------------------------------------------

def test_the_reported_cross_site_rest_calls_are_refused(app, world, make_client):
    """A signed-in browser's cookie, no CSRF token, Origin evil.example: the three requests
    of the report (create a person, run a preview, expire a batch by committing it)."""
    browser = _signed_in_browser(make_client, world.a.admin).client
    created = browser.post("/api/v1/person/", json={"name": "跨站", "person_type": "其他从业人员",
                                                     "phone": "13712345678"}, headers=EVIL)
    assert created.status_code == 400 and "CSRF" in created.get_json()["message"]
    with app.app_context():
        assert db.session.query(Person).filter_by(phone="13712345678").count() == 0
        batches = db.session.query(ImportBatch).count()
    preview = browser.post("/api/v1/staff_import/preview", data={"file": _xlsx_file([
        ["某人", "13712345679", None, None, None]])}, headers=EVIL,
        content_type="multipart/form-data")
    assert preview.status_code == 400
    with app.app_context():
        assert db.session.query(ImportBatch).count() == batches
        admin = db.session.query(User).filter_by(username=world.a.admin).one()
        batch = staff_list.preview(
            admin, NOW, db.session.get(Firm, world.a.id), "a.xlsx",
            xlsx([["张一", "13800000001", id_number(1), "注册会计师", "合伙人"],
                  ["张二", "13800000002", id_number(2), None, None],
                  ["张三", "13800000003", id_number(3), None, None]]))
        token = batch.token
    commit = browser.post(f"/api/v1/staff_import/{token}/commit", json={}, headers=EVIL)
    assert commit.status_code == 400
    with app.app_context():
        assert db.session.query(ImportBatch).filter_by(token=token).one().status == \
            ImportStatus.PREVIEWED
    # the same browser with the page's token, or a script with a JWT, is served
    token_header = {"X-CSRFToken": _page_csrf(browser)}
    ok = browser.post("/api/v1/person/", json={"name": "本所新人", "person_type": "其他从业人员",
                                                "phone": "13712345670"}, headers=token_header)
    assert ok.status_code == 201, ok.get_json()


def _page_csrf(browser):
    page = browser.get("/account/password/").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _api_write_rules(app):
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "DELETE", "PATCH"}
        if rule.rule.startswith("/api/") and methods and not rule.rule.startswith(
                ("/api/v1/security/login", "/api/v1/security/refresh")):
            yield rule, sorted(methods)


def _fill(rule):
    url = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__
        url = re.sub(rf"<[^>]*\b{argument}>", "1" if "Integer" in converter else "x1", url)
    return url


def test_every_rest_write_with_only_the_session_cookie_is_refused(app, world, make_client):
    """Every resource's POST/PUT/DELETE and every workflow verb, found at run time."""
    browser = _signed_in_browser(make_client, world.staff).client
    with app.app_context():
        before = {t.name: db.session.execute(t.select()).all().__len__()
                  for t in db.metadata.sorted_tables if t.name in (
                      "person", "firm", "import_batch", "message", "ab_user")}
    checked = 0
    for rule, methods in _api_write_rules(app):
        for method in methods:
            response = browser.open(_fill(rule), method=method, json={"name": "x"},
                                    headers=EVIL)
            assert response.status_code == 400, (rule.rule, method, response.status_code)
            assert "CSRF" in response.get_json()["message"]
            checked += 1
    assert checked >= 10
    with app.app_context():
        after = {t.name: db.session.execute(t.select()).all().__len__()
                 for t in db.metadata.sorted_tables if t.name in before}
    assert after == before


def test_bearer_token_calls_need_no_csrf_token(app, world):
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": world.a.admin, "password": PASSWORD, "provider": "db"}).get_json()[
        "access_token"]
    response = http.post("/api/v1/person/", headers={"Authorization": f"Bearer {token}", **EVIL},
                         json={"name": "脚本新人", "person_type": "其他从业人员",
                               "phone": "13712345671"})
    assert response.status_code == 201


# --- 3. live formulas ------------------------------------------------------------------------

PAYLOADS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3",
            "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def _assert_no_formula(data: bytes, expected_texts=()):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    workbook = load_workbook(io.BytesIO(data))
    found = {cell.value for sheet in workbook.worksheets for row in sheet.iter_rows()
             for cell in row if cell.value is not None}
    for cell in (c for s in workbook.worksheets for r in s.iter_rows() for c in r):
        assert cell.data_type != "f", cell.coordinate
    for text in expected_texts:
        assert text.replace("\r", "\n") in {str(v).replace("\r", "\n") for v in found} or \
            text in found, text


def test_the_error_report_writes_what_was_typed_as_text(ctx, world):
    staff = ctx.query(User).filter_by(username=world.staff).one()
    rows = [[payload, f"138000001{n:02d}", "bad-id", None, payload]
            for n, payload in enumerate(PAYLOADS)]
    batch = staff_list.preview(staff, NOW, ctx.get(Firm, world.a.id), "a.xlsx",
                                 xlsx(rows))
    assert batch.rows
    report = importing.error_report(staff_list.IMPORTER, json.loads(batch.rows))
    _assert_no_formula(report, [p for p in PAYLOADS if not p.startswith(("\t", "\r"))])


def test_the_template_and_list_exports_write_no_formula(app, world, make_client):
    _assert_no_formula(importing.template(staff_list.IMPORTER))
    with app.app_context():
        person = db.session.get(Person, world.a_people[1])
        person.position = PAYLOADS[0]
        db.session.commit()
    client = _signed_in_browser(make_client, world.a.admin)
    workbook = client.get("/personview/export/xlsx/").get_data()
    _assert_no_formula(workbook, [PAYLOADS[0]])
    text = client.get("/personview/export/csv/").get_data().decode("utf-8-sig")
    assert "'" + PAYLOADS[0] in text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_cells_starting_like_a_formula_get_an_apostrophe(payload):
    from app.workflows.core.sheets import csv_chunks

    import csv

    text = "".join(csv_chunks([["姓名"], [payload]])).lstrip("\ufeff")
    cells = list(csv.reader(io.StringIO(text, newline="")))
    assert cells[1] == ["'" + payload]


# --- 4. small files, large cost ---------------------------------------------------------------

def _package(sheet_xml_chunks, shared=None, *, level=9):
    """A minimal .xlsx whose first sheet is streamed from chunks (compressed as it goes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for chunk in sheet_xml_chunks:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
        if shared is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
                for chunk in shared:
                    strings.write(chunk)
    return buffer.getvalue()


def _header_row():
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                    for i, h in enumerate(STAFF_HEADERS))
    return f'<row r="1">{cells}</row>'.encode()


def _blank_rows(total_bytes):
    yield _header_row()
    row = b'<row r="2" s="1" customFormat="1"/>'
    block = row * (1024 * 1024 // len(row))
    for _ in range(total_bytes // len(block)):
        yield block


def _refused_quickly(data, name, expected):
    started = time.monotonic()
    with pytest.raises(importing.FileProblem) as problem:
        importing.parse(staff_list.IMPORTER, name, data)
    elapsed = time.monotonic() - started
    assert expected in problem.value.message, problem.value.message
    assert len(problem.value.message) < 300
    assert elapsed < 5, elapsed
    return problem.value.message


@pytest.mark.slow("unpacks 300 MB of blank rows to find the limit")
def test_blank_rows_to_300_mb_are_refused_within_seconds():
    data = _package(_blank_rows(300 * 1024 * 1024))
    assert len(data) < 2 * 1024 * 1024  # a small upload …
    message = _refused_quickly(data, "空行.xlsx", "解压后超过")  # … refused by its size unpacked
    assert "40MB" in message or "64MB" in message


def test_blank_rows_under_the_size_limit_are_refused_by_their_count():
    row = b'<row r="2"/>'
    data = _package([_header_row()] + [row * 70_000])
    _refused_quickly(data, "空行.xlsx", "60,000行（含空行）")


@pytest.mark.slow("reads a 60 MB header row to find the limit")
def test_a_60_mb_header_row_is_refused_within_seconds():
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    data = _package([b'<row r="1">', cell * (60 * 1024 * 1024 // len(cell)), b"</row>"])
    assert len(data) < 1024 * 1024
    _refused_quickly(data, "宽表头.xlsx", "解压后超过")


def test_a_header_wider_than_the_column_limit_is_refused_by_its_count():
    cell = b'<c t="inlineStr"><is><t>x</t></is></c>'
    data = _package([b'<row r="1">', cell * 5000, b"</row>"])
    _refused_quickly(data, "宽表头.xlsx", "超过100列")


@pytest.mark.slow("unpacks 100 MB of shared strings to find the limit")
def test_100_mb_of_shared_strings_are_refused_within_seconds():
    item = b"<si><t>aaaaaaaaaa</t></si>"
    shared = [b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
              item * (100 * 1024 * 1024 // len(item)), b"</sst>"]
    data = _package([_header_row()], shared)
    assert len(data) < 1024 * 1024
    _refused_quickly(data, "共享字符串.xlsx", "解压后超过")


def test_a_wide_csv_header_is_refused_with_a_short_message():
    data = ("姓名," + ",".join(f"列{n}" for n in range(120_000)) + "\r\n").encode()
    assert len(data) > 800_000
    _refused_quickly(data, "宽表头.csv", "超过100列")


def test_a_csv_with_nul_bytes_is_not_text():
    data = csv_bytes([["张三", "13800000001", None, None, None]]).replace(b"13800000001",
                                                                           b"1380000\x000001")
    _refused_quickly(data, "名单.csv", "不是文本文件")


def test_a_very_long_file_name_is_shortened_in_messages():
    message = _refused_quickly(b"not a workbook", "长" * 5000 + ".xlsx", "不是 Excel 工作簿")
    assert len(message) < 200


def test_stored_problems_are_capped(ctx, world):
    staff = ctx.query(User).filter_by(username=world.staff).one()
    rows = [["某" * 70, f"1380{n:07d}", "bad", "无此类型", "职" * 40] for n in range(1500)]
    batch = staff_list.preview(staff, NOW, ctx.get(Firm, world.a.id), "a.xlsx",
                                 xlsx(rows))
    summary = json.loads(batch.summary)
    assert summary["error_count"] > 1000 and len(summary["errors"]) == 1000
    assert len(batch.summary) < 400_000


def test_the_reported_files_through_the_rest_preview_answer_at_once(app, world):
    """Through REST as reported: refused in seconds with the Chinese limit, not 3 minutes."""
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": world.a.admin, "password": PASSWORD, "provider": "db"}).get_json()[
        "access_token"]
    row = b'<row r="2"/>'
    started = time.monotonic()
    response = http.post("/api/v1/staff_import/preview", headers={
        "Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
        data={"file": (io.BytesIO(_package([_header_row(), row * 100_000])), "空行.xlsx")})
    assert time.monotonic() - started < 5
    body = response.get_json()
    assert body["status"] == "文件有误" and "含空行" in body["errors"][0]["message"]


# --- 5. login limits and what responses say ----------------------------------------------------

def _login(client, username, password, address):
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": client.token()},
                       environ_base={"REMOTE_ADDR": address})


def test_login_is_limited_per_account_not_per_office_address(app, world, make_client):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    office = "10.0.0.8"
    guesser = make_client()
    for _ in range(limit):
        assert _login(guesser, world.a.admin, "Wrong0pass", office).status_code == 302
    blocked = _login(guesser, world.a.admin, "Wrong0pass", office)
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    seconds = int(blocked.headers["Retry-After"])
    assert 0 < seconds <= 61 and f"请在{seconds}秒后重试" in page and 'id="error-page"' in page
    # a colleague behind the same address signs in
    colleague = make_client()
    response = _login(colleague, world.staff, PASSWORD, office)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    # and the guessed account stays limited from any other address
    elsewhere = make_client()
    assert _login(elsewhere, world.a.admin, PASSWORD, "192.0.2.77").status_code == 429


def test_login_is_limited_per_address_too(app, world, make_client):
    app.appbuilder.sm.limiter.reset()
    limit = int(app.config["AUTH_IP_RATE_LIMIT"].split()[0])
    client = make_client()
    statuses = [_login(client, f"nobody{n}", "Wrong0pass", "10.9.9.9").status_code
                for n in range(limit + 1)]
    assert statuses[:limit] == [302] * limit and statuses[limit] == 429
    api = app.test_client().post("/api/v1/security/login", json={
        "username": "nobody", "password": "x", "provider": "db"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert api.status_code == 429 and "秒后重试" in api.get_json()["message"]


def test_pages_exports_and_api_answers_are_not_stored(app, world, make_client):
    client = _signed_in_browser(make_client, world.a.admin)
    for path in ("/personview/list/", "/personview/export/csv/", "/api/v1/person/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert "Server" not in client.get("/login/").headers
    static = client.get("/static/appbuilder/css/ab.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"


def test_the_served_app_does_not_announce_waitress(tmp_path):
    """`make run` serves with waitress-serve and these arguments: no Server header."""
    makefile = (ROOT / "Makefile").read_text()
    line = next(l for l in makefile.splitlines() if "waitress-serve" in l)
    args = [a for a in line.split("waitress-serve", 1)[1].split() if a != "run:app"]
    assert "--ident=" in args
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [a for a in args if not a.startswith(("--host", "--port"))]
    env = {"INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/waitress-serve"), "--host=127.0.0.1",
                               f"--port={port}", *args, "run:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"GET /login/ HTTP/1.0\r\nHost: x\r\n\r\n")
                    head = conn.recv(4096).decode("latin-1")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        assert "\r\nServer:" not in head and "waitress" not in head.lower()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_stranger_guessing_passwords_cannot_lock_the_owner_out(app, world, make_client):
    """Issue 22, finding 8: ten wrong passwords from anywhere locked the account for a
    minute. The owner signs in from an address it signed in from before; a stranger's
    address (and any other unknown one) stays limited."""
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    owner_desk, stranger = "10.1.1.20", "203.0.113.9"
    owner = make_client()
    first = _login(owner, world.a.admin, PASSWORD, owner_desk)
    assert first.status_code == 302 and "/login" not in first.headers["Location"]
    guesser = make_client()
    # the owner's first sign-in, from an address not yet known, drew on the same budget
    for _ in range(limit - 1):
        assert _login(guesser, world.a.admin, "Wrong0pass", stranger).status_code == 302
    assert _login(guesser, world.a.admin, PASSWORD, stranger).status_code == 429
    again = make_client()
    response = _login(again, world.a.admin, PASSWORD, owner_desk)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    # the limit is the account's, however its name is typed
    assert _login(make_client(), world.a.admin.lower(), PASSWORD, stranger).status_code == 429
    api = app.test_client().post("/api/v1/security/login", json={
        "username": world.a.admin, "password": PASSWORD, "provider": "db"},
        environ_base={"REMOTE_ADDR": owner_desk})
    assert api.status_code == 200
