"""The filing form in a real browser (issue 24 items 1–2): the document rows follow the answers
as they are chosen (the static script reads the server's requirements table from the page;
CSP allows no inline script), and a refused 保存 brings the form back as typed with the
accepted file kept, so the fix goes through without choosing that file again."""
from app.extensions import db
from app.models import RegistrationCase
from tests.browser import browser_page, require_chromium, screenshot
from tests.helpers import id_number, serving
from tests.registration.common import PDF, setup_tables
from tests.registration.test_browser import _login

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def _open_form(page, base, case_type):
    page.goto(f"{base}/registration/new/{case_type}")
    page.click("#agree")
    page.click("#direct-entry")
    page.wait_for_selector("#case-form #documents")


def _visible(page, key):
    return page.locator(f"tr.document-row[data-key={key}]:visible").count()


def test_rows_follow_the_answers_and_a_refused_upload_keeps_the_form(app, world, tmp_path):
    require_chromium()
    from playwright.sync_api import expect

    with app.app_context():
        setup_tables(db.session)
    good, bad = tmp_path / "身份证.pdf", tmp_path / "存档证明.pdf"
    good.write_bytes(PDF)
    bad.write_bytes(EXE)
    errors = []
    with serving(app) as base:
        with browser_page("registration_form_follows") as page:
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _login(page, base, world.a.admin)
            _open_form(page, base, "注册申请")
            # nothing answered yet: the rows for retired and working people are both hidden
            assert _visible(page, "labor_contract") == 0 and _visible(page, "hire_agreement") == 0
            assert _visible(page, "application_form") == 1
            expect(page.locator("#more-documents")).to_contain_text("是否退休")
            page.check("input[name=retired][value=是]")
            expect(page.locator("#more-documents")).to_be_hidden()
            assert _visible(page, "hire_agreement") == 1 and _visible(page, "retirement_proof") == 1
            assert _visible(page, "labor_contract") == 0 and _visible(page, "archive_proof") == 0
            assert page.locator("input[name=doc_labor_contract]").is_disabled()
            page.check("input[name=retired][value=否]")
            assert _visible(page, "labor_contract") == 1 and _visible(page, "archive_proof") == 1
            assert _visible(page, "hire_agreement") == 0
            assert page.locator("input[name=doc_hire_agreement]").is_disabled()
            # a refused 保存: the wrong ID number and the fake PDF are named, the rest kept
            page.fill("input[name=name]", "浏览器李四")
            page.fill("input[name=id_number]", id_number(433)[:-1] + "X"
                      if id_number(433)[-1] != "X" else id_number(433)[:-1] + "0")
            page.fill("input[name=mobile]", "13700000433")
            page.set_input_files("input[name=doc_id_card]", str(good))
            page.set_input_files("input[name=doc_archive_proof]", str(bad))
            page.click("#save")
            expect(page.locator("#form-errors")).to_contain_text("未保存")
            expect(page.locator("#error-id_number")).to_be_visible()
            expect(page.locator("#error-doc_archive_proof")).to_contain_text("【存档证明】")
            assert page.input_value("input[name=name]") == "浏览器李四"
            assert page.is_checked("input[name=retired][value=否]")
            assert _visible(page, "labor_contract") == 1 and _visible(page, "hire_agreement") == 0
            expect(page.locator("tr[data-key=id_card] .held-document")).to_contain_text("身份证.pdf")
            screenshot(page, "registration_form_refused")
            # the fix: the ID number only; the kept ID card is not chosen again
            page.fill("input[name=id_number]", id_number(433))
            page.click("#save")
            expect(page.locator("#case-status")).to_contain_text("未提交")
            # 关系转移: the rows follow 关系转移类型 (转入协会代管 asks for no labour contract)
            _open_form(page, base, "关系转移")
            page.check("input[name=retired][value=非退休]")
            page.select_option("select[name=transfer_type]", "京内转所")
            assert _visible(page, "labor_contract") == 1
            page.select_option("select[name=transfer_type]", "转入协会代管")
            assert _visible(page, "labor_contract") == 0 and _visible(page, "transfer_form") == 1
            # 下载模板 fills the form in with what is typed so far (nothing saved yet)
            page.fill("input[name=name]", "浏览器王转")
            with page.expect_download() as download:
                page.locator("tr[data-key=transfer_form] a.download-template").click()
            pdf = download.value
            assert pdf.suggested_filename == "转所表_浏览器王转.pdf"
            with open(pdf.path(), "rb") as handle:
                assert handle.read(5) == b"%PDF-"
            assert page.input_value("input[name=name]") == "浏览器王转"  # the form stays
    assert not errors, errors
    with app.app_context():
        case = db.session.query(RegistrationCase).filter_by(name="浏览器李四").one()
        assert {d.doc_key for d in case.documents} == {"id_card"}
        assert case.id_number == id_number(433)
