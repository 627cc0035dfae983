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




@contextmanager
def browser_page(name):
    """A fresh headless Chromium page; a screenshot lands in test-results/ on failure."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True, locale="zh-CN")
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
        finally:
            browser.close()


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
