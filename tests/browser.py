"""Browser helpers for the few end-to-end tests: Debian's /usr/bin/chromium driven by
Playwright (no browser download). Without chromium a test skips on a workstation and
fails under CI (CI set), so a CI machine that lost its browser cannot pass silently."""
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-results"


def require_chromium():
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return
    message = f"{CHROMIUM} not found (apt-get install -y chromium)"
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(message)
    pytest.skip(message)




_SHARED = {}


def _browser():
    """One Chromium per test process, started on first use (closed by shutdown())."""
    if "browser" not in _SHARED:
        from playwright.sync_api import sync_playwright

        _SHARED["playwright"] = sync_playwright().start()
        _SHARED["browser"] = _SHARED["playwright"].chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    return _SHARED["browser"]


def shutdown():
    """Close the process's Chromium (conftest calls this when the session ends)."""
    browser, playwright = _SHARED.pop("browser", None), _SHARED.pop("playwright", None)
    if browser is not None:
        browser.close()
    if playwright is not None:
        playwright.stop()


@contextmanager
def browser_page(name, **options):
    """A fresh page in its own browser context (no cookies or storage shared with another
    test) of the process's headless Chromium; a screenshot lands in test-results/ on failure.
    `options` go to the context (a phone: viewport=…, is_mobile=True, has_touch=True)."""
    context = _browser().new_context(**{"accept_downloads": True, "locale": "zh-CN", **options})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
            raise
    finally:
        context.close()


def sign_out(page) -> None:
    """退出系统 as a user does it: the name in the navbar, then the menu's button (a POST)."""
    page.locator(".navbar .dropdown-toggle .fa-user").click()
    page.locator("form.logout-form button", has_text="退出系统").click()
    page.wait_for_url("**/login/**")


def screenshot(page, name: str) -> Path:
    """A full-page picture in test-results/ (for looking at pages as users see them)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
