"""End to end in a real browser: a firm files a 注册申请 (承诺书, 选择办理人员 → 直接录入, the
form with its seven documents, 提交审核), staff approve it, the firm books it on the 7-day grid
and sees it in 预约记录. Chromium at /usr/bin/chromium (skips without it, fails under CI)."""

from app.extensions import db
from app.models import CaseStatus, RegistrationCase
from app.workflows.registration import requirements
from tests.browser import browser_page, require_chromium
from tests.helpers import PASSWORD, id_number, serving
from tests.registration.common import PDF, setup_tables


def _login(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_filing_review_and_booking_in_the_browser(app, world, tmp_path):
    require_chromium()
    from playwright.sync_api import expect

    with app.app_context():
        setup_tables(db.session)
        labels = [(r.doc_key, r.label) for r in requirements.documents_for(
            "注册申请", {"retired": "否"}) if r.required]
    paths = {}
    for key, label in labels:
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(PDF)
        paths[key] = str(path)

    with serving(app) as base:
        with browser_page("registration_filing") as page:
            _login(page, base, world.a.admin)
            page.goto(f"{base}/registration/")
            page.locator(".case-type", has_text="注册申请").locator("a").click()
            expect(page.locator("#pledge-text")).to_contain_text("真实、完整、有效")
            page.click("#agree")
            page.click("#direct-entry")
            page.fill("input[name=name]", "浏览器张三")
            page.fill("input[name=id_number]", id_number(321))
            page.fill("input[name=mobile]", "13700000321")
            page.check("input[name=retired][value=否]")
            # 保存 with one document missing: kept as a draft, the missing one named
            for key, _label in labels[:-1]:
                page.set_input_files(f"input[name=doc_{key}]", paths[key])
            page.click("#submit")
            expect(page.locator("body")).to_contain_text("不能提交审核")
            expect(page.locator("body")).to_contain_text(f"【{labels[-1][1]}】")
            page.set_input_files(f"input[name=doc_{labels[-1][0]}]", paths[labels[-1][0]])
            page.click("#submit")
            expect(page.locator("#case-status")).to_contain_text("已提交待北注协审核")
            case_url = page.url

        with browser_page("registration_review") as page:
            _login(page, base, world.staff)
            page.goto(case_url)
            page.click("#approve")
            expect(page.locator("#case-status")).to_contain_text("审核通过待预约")

        with browser_page("registration_booking") as page:
            _login(page, base, world.a.admin)
            page.goto(f"{base}/registration/booking/")
            page.locator("#waiting-cases input[type=checkbox]").first.check()
            page.click("#next")
            expect(page.locator("#booking-summary")).to_contain_text("办理人数：1人")
            page.locator("form.slot button").first.click()
            expect(page.locator("body")).to_contain_text("预约成功")
            page.goto(f"{base}/registration/appointments/")
            expect(page.locator("#appointments")).to_contain_text("注册申请")
            expect(page.locator("#appointments")).to_contain_text("预约成功")
    with app.app_context():
        case = db.session.query(RegistrationCase).filter_by(name="浏览器张三").one()
        assert case.status == CaseStatus.BOOKED and len(case.documents) == len(labels)
