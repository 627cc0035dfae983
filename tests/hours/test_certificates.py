"""学时证明: the issuing command (scoped, refusing bad years with nothing saved, totals
snapshotted), the PDF (parsed back to text with poppler's pdftotext), the download pages for
each role, the staff list, and the public 学时证明验证 page (one exact code, masked name,
nothing for a wrong code, rate-limited)."""
import datetime as dt
import os
import re
import shutil
import subprocess
from urllib.parse import unquote

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import HourCertificate, Person
from app.workflows import hours
from app.workflows.core.errors import NotFoundError, ValidationError
from app.workflows.hours import certificates
from tests.helpers import NOW

SENTENCE_2026 = "您2026年继续教育未通过，已获38.5学时，其中面授课程12.0学时，职业道德4.0学时，思政课程2.5学时。"


def _credit(person_id, year, number, category, delivery, amount):
    hours.credit(None, NOW, source_kind="import", source_id=f"cert:{person_id}:{year}:{number}",
                 person_id=person_id, year=year, title=f"课程{number}", category=category,
                 delivery=delivery, hours=amount, obtained_at=dt.date(year, 6, 1 + number))


@pytest.fixture
def studied(app, world):
    """张一 (the member, firm A): 2025 and 2026; 张二 (firm A): 2026; 李一 (firm B): 2026."""
    with app.app_context():
        for number, (category, delivery, amount) in enumerate([
                ("专业课", "网络课程", "20.0"), ("专业课", "面授", "8.0"),
                ("职业道德", "执业机构内培", "4.0"), ("思政", "网络课程", "2.5"),
                ("专业课", "产出式", "4.0")]):
            _credit(world.a_people[0], 2026, number, category, delivery, amount)
        _credit(world.a_people[0], 2025, 9, "专业课", "面授", "16.0")
        _credit(world.a_people[1], 2026, 0, "专业课", "授课", "6.0")
        _credit(world.b_people[0], 2026, 0, "专业课", "面授", "8.0")
    return world


def _user(login):
    return db.session.query(User).filter_by(username=login).one()


def _count():
    return db.session.query(HourCertificate).count()


# ---- the command ---------------------------------------------------------------------------

def test_issuing_records_the_totals_and_a_random_code(app, studied):
    world = studied
    with app.app_context():
        member = _user(world.member)
        certificate = certificates.issue_certificate(member, NOW, world.a_people[0],
                                                     ["2026", "2025"])
        assert re.fullmatch(f"[{certificates.CODE_ALPHABET}]{{16}}", certificate.code)
        assert certificate.years == "2025,2026" and certificate.person_name == "张一"
        assert certificate.cert_number == "110100010001" and "北京甲" in certificate.firm_name
        assert certificate.issued_by_name == world.member and certificate.issued_at == NOW
        y2025, y2026 = certificates.totals_of(certificate)
        assert y2026["by_category"] == {"专业课": "32.0", "职业道德": "4.0", "思政": "2.5"}
        assert y2026["by_delivery"] == {"网络课程": "22.5", "面授": "8.0", "执业机构内培": "4.0",
                                        "授课": "0.0", "面授(视同)": "0.0", "投入式": "0.0",
                                        "产出式": "4.0"}
        assert (y2026["obtained"], y2026["counted"], y2026["face_to_face"]) == \
            ("38.5", "38.5", "12.0")
        person = db.session.get(Person, world.a_people[0])
        assert y2026["sentence"] == SENTENCE_2026 == hours.person_year(db.session, person,
                                                                        2026).sentence
        assert y2026["passed"] is False and "面授学时不足16学时" in y2026["reasons"]
        assert y2025["obtained"] == "16.0" and y2025["by_delivery"]["面授"] == "16.0"
        # a snapshot: later hours do not change what was certified
        _credit(world.a_people[0], 2026, 7, "专业课", "面授", "8.0")
        db.session.expire_all()
        again = db.session.get(HourCertificate, certificate.id)
        assert certificates.totals_of(again)[1]["obtained"] == "38.5"
        other = certificates.issue_certificate(member, NOW, world.a_people[0], [2026])
        assert other.code != certificate.code
        assert certificates.totals_of(other)[0]["obtained"] == "46.5"


@pytest.mark.parametrize("years, message", [
    ([], "请勾选要开具学时证明的年度"),
    (["2024"], "2024年没有学时记录，不能开具学时证明"),
    (["2026", "二〇二五"], "年度“二〇二五”无效"),
    ([str(y) for y in range(2019, 2027)], "每份学时证明最多包含6个年度"),
])
def test_bad_years_are_refused_with_a_message_and_nothing_saved(app, studied, years, message):
    with app.app_context():
        with pytest.raises(ValidationError) as refused:
            certificates.issue_certificate(_user(studied.member), NOW, studied.a_people[0], years)
        assert message in refused.value.message and refused.value.field == "years"
        assert _count() == 0


def test_only_whoever_may_see_the_person_issues(app, studied):
    world = studied
    with app.app_context():
        member, firm_admin, staff = _user(world.member), _user(world.a.admin), _user(world.staff)
        for actor, person_id in ((member, world.a_people[1]), (member, world.b_people[0]),
                                 (firm_admin, world.b_people[0]), (member, 10**9)):
            with pytest.raises(NotFoundError):
                certificates.issue_certificate(actor, NOW, person_id, [2026])
        assert _count() == 0
        assert certificates.issue_certificate(firm_admin, NOW, world.a_people[1], [2026])
        assert certificates.issue_certificate(staff, NOW, world.b_people[0], [2026])
        assert _count() == 2


def test_codes_are_read_forgivingly_but_matched_exactly(app, studied):
    with app.app_context():
        certificate = certificates.issue_certificate(_user(studied.staff), NOW,
                                                     studied.a_people[0], [2026])
        code = certificate.code
        grouped = certificates.group_code(code)
        assert re.fullmatch(r"\w{4}-\w{4}-\w{4}-\w{4}", grouped)
        for typed in (code, grouped, grouped.lower(), f" {code[:8]} {code[8:]} "):
            assert certificates.find_by_code(db.session, typed).id == certificate.id
        other = code[:-1] + ("2" if code[-1] != "2" else "3")
        for typed in (code[:15], code[:4], other, code + "2", "", None, "%", code.replace(
                code[0], "0"), "' OR 1=1 --"):
            assert certificates.find_by_code(db.session, typed) is None, typed
    assert certificates.mask_name("张三") == "张*"
    assert certificates.mask_name("张小三") == "张*三"
    assert certificates.mask_name("欧阳小明") == "欧**明"


# ---- the PDF -------------------------------------------------------------------------------

def pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text by poppler (fonts-less CID text needs poppler-data), whitespace removed."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is missing")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode("utf-8")
    return re.sub(r"\s+", "", text)


def test_the_pdf_carries_name_code_totals_sentence_and_verification_url(app, studied, tmp_path):
    with app.app_context():
        certificate = certificates.issue_certificate(_user(studied.member), NOW,
                                                     studied.a_people[0], [2025, 2026])
        data = certificates.render_pdf(certificate, "http://cpa.example.org/verify/hours/"
                                       + certificate.code)
        code = certificate.code
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    assert "继续教育学时证明" in text and "张一" in text and "110100010001" in text
    assert "北京甲会计师事务所（特殊普通合伙）" in text
    assert SENTENCE_2026 in text
    assert "您2025年继续教育未通过，已获16.0学时" in text
    assert certificates.group_code(code) in text
    assert "http://cpa.example.org/verify/hours/" + code in text
    assert "开具日期：2026年11月23日" in text  # NOW is 10:00 in Beijing that day
    for label in ("专业课", "职业道德", "思政", "网络课程", "执业机构内培", "面授(视同)", "投入式",
                  "产出式", "已获学时", "有效学时"):
        assert label in text, label


# ---- the pages -----------------------------------------------------------------------------

def _issue(client, person_id, years):
    return client.post_form("/hours/certificates/issue",
                            {"person_id": str(person_id), "years": [str(y) for y in years]})


def test_a_member_ticks_years_and_downloads_its_certificate(app, studied, client, tmp_path):
    world = studied
    client.login(world.member)
    page = client.get("/hours/certificates/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "学时证明下载" in html
    assert 'name="years" value="2026"' in html and 'name="years" value="2025"' in html
    assert "certificate-person-search" not in html  # a member chooses no one else
    response = _issue(client, world.a_people[0], [2026])
    assert response.status_code == 302
    pdf_url = response.headers["Location"]
    assert re.search(r"/hours/certificates/\d+/pdf$", pdf_url)
    download = client.get(pdf_url)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "学时证明_张一_2026.pdf" in unquote(disposition.split("filename*=UTF-8''")[1])
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"
    with app.app_context():
        code = db.session.query(HourCertificate).one().code
    # the verification URL printed is this app's own host
    assert f"http://localhost/verify/hours/{code}" in pdf_text(download.data, tmp_path)
    listed = client.get("/hours/certificates/").get_data(as_text=True)
    assert certificates.group_code(code) in listed and pdf_url.split("localhost")[-1] in listed


def test_a_member_reaches_no_one_else(app, studied, client):
    world = studied
    client.login(world.member)
    for person_id in (world.a_people[1], world.b_people[0], "x"):
        assert client.get(f"/hours/certificates/?person={person_id}").status_code == 404
    assert _issue(client, world.a_people[1], [2026]).status_code == 404
    assert _issue(client, world.b_people[0], [2026]).status_code == 404
    with app.app_context():
        assert _count() == 0
        foreign = certificates.issue_certificate(_user(world.staff), NOW, world.a_people[1],
                                                 [2026]).id
    assert client.get(f"/hours/certificates/{foreign}/pdf").status_code == 404


def test_bad_years_on_the_page_show_the_message(app, studied, client):
    client.login(studied.member)
    response = _issue(client, studied.a_people[0], [])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请勾选要开具学时证明的年度" in page
    with app.app_context():
        assert _count() == 0


def test_a_firm_admin_finds_its_people_only(app, studied, client):
    world = studied
    client.login(world.a.admin)
    html = client.get("/hours/certificates/?q=张").get_data(as_text=True)
    assert "张一" in html and "张二" in html and "李一" not in html
    other = client.get("/hours/certificates/?q=李一").get_data(as_text=True)
    assert "choose-person" not in other and "没有找到与“李一”匹配的人员" in other
    assert client.get("/hours/certificates/?q=110100020001").get_data(as_text=True).count(
        "choose-person") == 0
    assert client.get(f"/hours/certificates/?person={world.b_people[0]}").status_code == 404
    assert _issue(client, world.b_people[0], [2026]).status_code == 404
    wildcard = client.get("/hours/certificates/?q=%25").get_data(as_text=True)  # a literal %
    assert "choose-person" not in wildcard
    own = client.get(f"/hours/certificates/?person={world.a_people[1]}")
    assert own.status_code == 200 and 'name="years" value="2026"' in own.get_data(as_text=True)
    response = _issue(client, world.a_people[1], [2026])
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    with app.app_context():
        foreign = certificates.issue_certificate(_user(world.staff), NOW, world.b_people[0],
                                                 [2026]).id
    assert client.get(f"/hours/certificates/{foreign}/pdf").status_code == 404


def test_staff_issue_for_anyone_and_look_certificates_up_by_code(app, studied, client):
    world = studied
    client.login(world.staff)
    response = _issue(client, world.b_people[0], [2026])
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    with app.app_context():
        certificates.issue_certificate(_user(world.member), NOW, world.a_people[0], [2026])
        codes = {c.person_name: c.code for c in db.session.query(HourCertificate)}
    listing = client.get("/hourcertificateview/list/").get_data(as_text=True)
    assert "李一" in listing and "张一" in listing
    assert certificates.group_code(codes["李一"]) in listing
    found = client.get(f"/hourcertificateview/list/?_flt_0_code={codes['李一']}").get_data(
        as_text=True)
    assert certificates.group_code(codes["李一"]) in found
    assert certificates.group_code(codes["张一"]) not in found


def test_the_certificate_list_is_read_only_and_scoped(app, studied, make_client):
    world = studied
    with app.app_context():
        for person_id in (world.a_people[0], world.a_people[1], world.b_people[0]):
            certificates.issue_certificate(_user(world.staff), NOW, person_id, [2026])
    seen = {}
    for login in (world.member, world.a.admin):
        client = make_client()
        client.login(login)
        html = client.get("/hourcertificateview/list/").get_data(as_text=True)
        seen[login] = {name for name in ("张一", "张二", "李一") if name in html}
        assert client.get("/hourcertificateview/add").status_code in (302, 403, 404)
    assert seen == {world.member: {"张一"}, world.a.admin: {"张一", "张二"}}


# ---- the public verification page ----------------------------------------------------------

def test_the_verification_page_shows_only_masked_name_years_totals_and_date(app, studied,
                                                                             client):
    with app.app_context():
        code = certificates.issue_certificate(_user(studied.member), NOW, studied.a_people[0],
                                              [2025, 2026]).code
    typed = certificates.group_code(code).lower()
    for url in (f"/verify/hours/{code}", f"/verify/hours/?code={typed}"):
        page = client.get(url)  # nobody signed in
        html = page.get_data(as_text=True)
        assert page.status_code == 200, url
        assert "学时证明有效" in html and "2026年11月23日" in html
        assert "张*" in html and "张一" not in html
        assert "110100010001" not in html and "北京甲" not in html  # only name, years, totals
        assert "38.5" in html and "16.0" in html and "2025、2026" in html
        assert "未找到该验证码" not in html


def test_a_wrong_code_shows_nothing(app, studied, client):
    with app.app_context():
        code = certificates.issue_certificate(_user(studied.member), NOW, studied.a_people[0],
                                              [2026]).code
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    for url in (f"/verify/hours/{wrong}", f"/verify/hours/{code[:8]}", "/verify/hours/?code=%25",
                "/verify/hours/?code=" + "A" * 500):
        page = client.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, url
        assert "未找到该验证码" in html and "张" not in html and "38.5" not in html
    blank = client.get("/verify/hours/").get_data(as_text=True)
    assert "验证码" in blank and "未找到该验证码" not in blank


def test_the_verification_page_is_rate_limited_per_address(app, studied, client, monkeypatch):
    monkeypatch.setitem(app.config, "HOUR_VERIFY_RATE_LIMIT", "4 per minute")
    for attempt in range(4):
        assert client.get(f"/verify/hours/ABCDABCDABCDABC{attempt + 2}").status_code == 200
    refused = client.get("/verify/hours/ABCDABCDABCDABCD")
    assert refused.status_code == 429 and "操作过于频繁" in refused.get_data(as_text=True)


def test_staff_find_a_certificate_by_the_code_as_printed(app, studied, client):
    with app.app_context():
        code = certificates.issue_certificate(_user(studied.staff), NOW, studied.b_people[0],
                                              [2026]).code
        other = certificates.issue_certificate(_user(studied.staff), NOW, studied.a_people[0],
                                               [2026]).code
    client.login(studied.staff)
    typed = certificates.group_code(code).lower()
    response = client.get("/hourcertificateview/list/?code=" + typed)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert certificates.group_code(code) in html and certificates.group_code(other) not in html
    missing = client.get("/hourcertificateview/list/?code=nothing", follow_redirects=True)
    assert missing.status_code == 200
    assert certificates.group_code(code) not in missing.get_data(as_text=True)


def test_one_computation_feeds_the_table_the_sentence_the_page_and_the_queries(app, world,
                                                                                client, tmp_path):
    """In-house (执业机构内培) and 授课 count as face-to-face (DESIGN §3a: 「face-to-face (面授,
    live streams, 执业机构内培, 授课 and 面授(视同) count)」): the PDF's 面授 line, its sentence,
    the public verification page and 学员年度学时 all say 44.0 — the certificate said 面授 28.0
    in its table and 44.0 in its sentence (issue 23 item 4)."""
    from app.workflows.hours import queries
    with app.app_context():
        for number, (delivery, amount) in enumerate([("面授", "28.0"), ("执业机构内培", "12.0"),
                                                     ("授课", "4.0")]):
            _credit(world.a_people[0], 2026, number, "专业课", delivery, amount)
        certificate = certificates.issue_certificate(_user(world.staff), NOW,
                                                     world.a_people[0], [2026])
        [totals] = certificates.totals_of(certificate)
        data = certificates.render_pdf(certificate, "http://x/verify/hours/" + certificate.code)
        code = certificate.code
        annual = {r.name: r for r in db.session.execute(queries.annual(
            db.session, _user(world.staff), queries.AnnualCriteria(year=2026)))}
        db.session.commit()
    assert totals["face_to_face"] == "44.0"
    assert str(annual["张一"].face_to_face) in ("44.0", "44", "44.00")
    text = pdf_text(data, tmp_path)
    assert "其中面授课程44.0学时" in text
    line = next(ln for ln in text.splitlines() if "面授学时（合计）" in ln)
    assert "44.0" in line or "44.0" in text.split("面授学时（合计）", 1)[1].split()[0:3], line
    assert "28.0" in text  # its part, under 其中
    page = client.get(f"/verify/hours/{code}").get_data(as_text=True)
    assert "44.0" in page


def test_both_verification_routes_share_one_budget_per_address(app, client):
    """Issue 22, finding 8: the two routes had 20 look-ups a minute each (40 in all)."""
    limit = int(app.config["HOUR_VERIFY_RATE_LIMIT"].split()[0])
    assert limit == 20
    answers = []
    for attempt in range(limit):
        url = (f"/verify/hours/ABCDABCDABCD{attempt:04d}" if attempt % 2
               else f"/verify/hours/?code=ABCDABCDABCD{attempt:04d}")
        answers.append(client.get(url).status_code)
    assert answers == [200] * limit
    for url in ("/verify/hours/?code=ABCDABCDABCD9999", "/verify/hours/ABCDABCDABCD9999"):
        refused = client.get(url)
        assert refused.status_code == 429 and "操作过于频繁" in refused.get_data(as_text=True)
    elsewhere = client.get("/verify/hours/ABCDABCDABCD9999",
                           environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert elsewhere.status_code == 200  # another address has its own budget
