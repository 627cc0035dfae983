"""Issue 14 in a real browser: the pages still work under the Content-Security-Policy (no
violation in the console, FAB's scripts run: search widget, select2, the action menu), and
the error pages are Chinese in the app's layout. Screenshots land in test-results/."""
import re

import pytest

from tests.browser import browser_page, require_chromium, screenshot
from tests.helpers import PASSWORD, serving


def _watch(page, problems):
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" or "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))


def _login(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _csp_problems(problems):
    # a 4xx page is logged by Chromium as "Failed to load resource": that is the point there
    return [p for p in problems if "Failed to load resource" not in p]


def _notice(app, world):
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.workflows import messages
    from tests.helpers import NOW

    with app.app_context():
        staff = db.session.query(User).filter_by(username=world.staff).one()
        notice = messages.save_notice(staff, NOW, messages.NoticeInput(
            title="CSP 测试通知", body="<p>正文</p>", audience="指定事务所", publish_at=NOW,
            firm_ids=[world.a.id]))
        db.session.commit()
        return notice.id


@pytest.mark.slow("a real browser opens the pages of every kind under the CSP")
@pytest.mark.once_per_ci  # what the browser blocks depends on the page's scripts and headers,
# never on the database (the server's pages run on both: tests/core/test_demo_pages.py)
def test_pages_work_under_the_csp(app, world):
    require_chromium()
    from playwright.sync_api import expect

    notice_id = _notice(app, world)
    problems = []
    with serving(app) as base, browser_page("csp_walk") as page:
        _watch(page, problems)
        _login(page, base, world.staff)
        expect(page.locator(".navbar")).to_be_visible()
        assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.png"

        # a list, FAB's search widget (inline script with the nonce) and its select2
        page.goto(f"{base}/personview/list/")
        expect(page.locator("body")).to_contain_text("张一")
        page.locator("a.accordion-toggle", has_text="搜索").click()
        form = page.locator("#filter_form")
        form.locator("button.dropdown-toggle").click()
        form.locator("a.filter[name=name]").click()
        row = form.locator("table.filters tr").last
        row.locator(".select2-selection").click()
        page.locator(".select2-results__option", has_text=re.compile(r"^\s*包含\s*$")).click()
        row.locator("input.filter_val").fill("张")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**_flt_*")
        expect(page.locator("body")).to_contain_text("张二")
        screenshot(page, "csp_person_list")

        # a form with a select2 (the firm) and a plain select
        page.goto(f"{base}/personview/add")
        select = page.locator(".select2-selection").first
        select.click()
        expect(page.locator(".select2-results__option").first).to_be_visible()
        page.keyboard.press("Escape")
        screenshot(page, "csp_person_add")

        # a show page with the delete button's inline script
        page.goto(f"{base}/personview/show/{world.a_people[0]}")
        expect(page.locator("body")).to_contain_text("张一")

        # the message centre
        page.goto(f"{base}/messages/")
        expect(page.locator("#message-tabs")).to_be_visible()
        screenshot(page, "csp_messages")

        # an inline confirm handler (allowed by its hash): the dialog shows, dismissing it
        # keeps the notice
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/notice-admin/")
        page.locator(f"tr[data-notice='{notice_id}'] button[type=submit]").click()
        expect(page.locator(f"tr[data-notice='{notice_id}']")).to_be_visible()
        assert dialogs and "确定删除此通知吗" in dialogs[0]

    assert not _csp_problems(problems), problems


def _post(page, url, fields, token=True):
    """Submit a form from the page (DevTools evaluation: not subject to the page's CSP)."""
    if token:
        fields = {**fields, "csrf_token": page.locator("input[name=csrf_token]").first
                  .get_attribute("value")}
    page.evaluate("""([url, fields]) => {
        const form = document.createElement('form');
        form.method = 'POST'; form.action = url;
        for (const [k, v] of Object.entries(fields)) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = k; input.value = v; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();
    }""", [url, fields])
    page.wait_for_load_state()


@pytest.mark.slow("a real browser opens every error page")
@pytest.mark.once_per_ci  # error pages are drawn without the database's rows
def test_error_pages_in_the_browser(app, world, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect

    def boom(*args, **kwargs):
        raise RuntimeError("a genuine bug")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "HelpCenterView.policy", boom)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    problems = []
    with serving(app) as base, browser_page("error_pages") as page:
        _watch(page, problems)
        _login(page, base, world.member)
        cases = [
            ("404", lambda: page.goto(f"{base}/personview/show/99999999999999999999"), "404"),
            ("400", lambda: page.goto(f"{base}/personview/list/?page_PersonView=x"), "400"),
            ("405", lambda: page.goto(f"{base}/imports/commit/abc"), "405"),
            ("500", lambda: page.goto(f"{base}/help/policies/1"), "500"),
            ("403", lambda: _post(page, f"{base}/users/action_post", {"action": "x"}), "403"),
            ("400-csrf", lambda: _post(page, f"{base}/account/password/", {"x": "1"}, False), "CSRF"),
            ("413", lambda: _post(page, f"{base}/account/password/", {"x": "y" * 9000}), "4 KB"),
        ]
        for name, go, needle in cases:
            page.goto(f"{base}/personview/list/")
            go()
            expect(page.locator("#error-page")).to_be_visible()
            expect(page.locator("#error-page")).to_contain_text(needle)
            expect(page.locator(".navbar")).to_be_visible()  # the app's layout
            expect(page.locator("#error-home")).to_be_visible()
            assert "a genuine bug" not in page.content()
            screenshot(page, f"error_{name}")
        page.locator("#error-back").click()  # back to the page the user came from
        page.wait_for_url("**/personview/list/")
    assert not _csp_problems(problems), problems
