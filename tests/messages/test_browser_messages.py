"""In a real browser: a firm admin sees the red dot, opens the notice, the dot disappears.

Staff publish a notice to the firm (through the workflow, as the notice form would);
the firm admin signs in, sees the count on 信息查询 and 消息中心, opens 信息查询 →
消息中心 → 协会通知, reads the notice, and on the next page the dot is gone.
"""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.roles import STAFF
from app.workflows import messages
from tests.helpers import NOW, PASSWORD, make_firm, make_user, serving
from tests.browser import browser_page, require_chromium as _require_chromium


def _publish_notice_to(app, firm_id):
    with app.app_context():
        staff = db.session.query(User).filter_by(username="staff_browser").one()
        messages.save_notice(staff, NOW, messages.NoticeInput(
            title="关于2026年度培训计划的通知", body="<p>请各事务所<b>按时</b>报名。</p>",
            audience="指定事务所", publish_at=NOW, firm_ids=[firm_id]))
        db.session.commit()


def test_firm_admin_red_dot_disappears_after_reading_the_notice(app):
    _require_chromium()
    from playwright.sync_api import expect

    firm = make_firm(app, "11010789", "北京红点测试会计师事务所有限公司")
    make_user(app, "staff_browser", STAFF)
    _publish_notice_to(app, firm.id)

    with serving(app) as base, browser_page("firm_admin_red_dot") as page:
        page.goto(f"{base}/login/")
        page.fill("#username", firm.admin)
        page.fill("#password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)

        # 消息中心 is a top-level entry of the navbar with the unread count (issue 26)
        entry = page.locator(".navbar li.nav-top > a", has_text="消息中心")
        expect(entry.locator("#unread-dot-messages")).to_be_visible()
        expect(entry.locator("#unread-dot-messages")).to_have_text("1")
        entry.click()
        page.wait_for_url("**/messages/**")

        page.locator("#message-tabs a", has_text="协会通知").click()
        row = page.locator("#message-list tbody tr", has_text="关于2026年度培训计划的通知")
        expect(row).to_contain_text("未读")
        row.locator("a.message-title").click()
        expect(page.locator("#message-body")).to_contain_text("请各事务所按时报名。")
        expect(page.locator("#message-body b")).to_have_text("按时")

        expect(page.locator("#unread-dot-messages")).to_have_count(0)
        page.goto(f"{base}/messages/?tab=协会通知")
        expect(page.locator("#unread-dot-category")).to_have_count(0)
        expect(page.locator("#unread-dot-messages")).to_have_count(0)
        expect(page.locator("#message-list tbody tr").first).to_contain_text("已读")
