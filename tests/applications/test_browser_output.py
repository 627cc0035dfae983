"""End to end in a real browser: a member files an 产出式 application with an attachment.

The member signs in, opens 继续教育 → 我的学时申请, clicks 新建产出式学时申请, picks 参加执业质量检查
(每天4学时), enters 3 days (the form shows 12.0 学时 as it is typed) and a 备注, attaches a PDF and saves: the detail shows 未确认, 12.0
学时 and the file, which downloads with its bytes; staff then confirm it from the queue and
the member's 学时查询 shows the 12.0 hours."""
from app.models import ApplicationStatus
from app import clock
from app.extensions import db
from app.models import HourApplication, HourRecord, StoredFile
from tests.applications.world import PDF
from tests.browser import browser_page, require_chromium, sign_out
from tests.helpers import PASSWORD, serving


def _login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_member_files_output_application_with_attachment(app, world, tmp_path):
    require_chromium()
    from playwright.sync_api import expect

    year = clock.local_today(clock.now()).year
    proof = tmp_path / "质量检查工作安排.pdf"
    proof.write_bytes(PDF)
    with serving(app) as base, browser_page("applications_output") as page:
        _login(page, base, world.member)
        page.locator(".navbar a.dropdown-toggle", has_text="继续教育").click()  # issue 26
        page.locator(".navbar .dropdown-menu a", has_text="我的学时申请").click()
        page.locator("#new-output").click()
        page.select_option("#year", str(year))
        # 申请学时 is shown as the member types: rate × quantity, capped per route
        page.select_option("#route", "承担行业课题研究")
        page.fill("#quantity", "5")
        expect(page.locator("#computed-hours")).to_have_text("12.0 学时")  # 4 × 5, at most 12
        page.fill("#quantity", "2.55")
        expect(page.locator("#computed-hours")).to_contain_text("最多一位小数")
        page.select_option("#route", "参加执业质量检查")
        page.fill("#quantity", "3")
        expect(page.locator("#computed-hours")).to_have_text("12.0 学时")
        page.fill("#remark", "参加协会执业质量检查3天")
        page.set_input_files("#hour_application_proof", str(proof))
        page.locator("#application-save").click()
        expect(page.locator("#application-status")).to_have_text("未确认")
        detail = page.locator("#application-detail").inner_text()
        assert "参加执业质量检查" in detail and "12.0" in detail and "3.0" in detail
        with page.expect_download() as info:
            page.locator("#application-files a", has_text="质量检查工作安排.pdf").click()
        assert open(info.value.path(), "rb").read() == PDF
        sign_out(page)
        _login(page, base, world.staff)
        page.goto(f"{base}/applications/review/")
        page.locator("#review-table .review-pick").first.check()
        page.locator("#review-confirm").click()
        expect(page.locator(".alert-success")).to_contain_text("已确认 1 条学时申请")
        sign_out(page)
        _login(page, base, world.member)
        page.goto(f"{base}/hours/mine/")
        expect(page.locator("body")).to_contain_text("12.0")
    with app.app_context():
        row = db.session.query(HourApplication).one()
        assert (row.status, float(row.hours), row.remark) == (ApplicationStatus.CONFIRMED, 12.0, "参加协会执业质量检查3天")
        assert db.session.query(StoredFile).filter_by(owner_kind="hour_application").one() \
            .original_name == "质量检查工作安排.pdf"
        assert float(db.session.query(HourRecord).one().hours) == 12.0
