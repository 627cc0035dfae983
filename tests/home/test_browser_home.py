"""Each role's home page in a real browser (issue 26): the charts are drawn (ECharts
canvases, served by the app), the page reads in Chinese, and each is photographed
(desktop; firm admin and member also at 390 px) in test-results/."""
import re

import pytest

from tests.browser import browser_page, require_chromium, screenshot
from tests.core.test_browser_walk import VISIBLE, _english, _login
from tests.helpers import past_first_login, serving

HOMES = {"admin": "系统管理 · 首页", "staff": "协会工作台 · 首页", "P11010001": "待办事项",
         "110100010001": "年继续教育学时"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.slow("a real browser opens the four home pages on the demo data")
def test_every_home_page_draws_its_charts_in_chinese(app, demo_data):
    require_chromium()
    listed = dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_data, flags=re.M))
    past_first_login(app)  # its own tests cover the first login
    found = {}
    with serving(app) as base:
        for login, heading in HOMES.items():
            sizes = [("desktop", {"viewport": {"width": 1400, "height": 900}})]
            if login in ("P11010001", "110100010001"):
                sizes.append(("phone", PHONE))
            for size, options in sizes:
                with browser_page(f"home_{login}_{size}", **options) as page:
                    _login(page, base, login, listed[login])  # lands on the home page
                    assert page.url == f"{base}/", (login, page.url)
                    page.wait_for_selector(".home-chart[data-drawn='1'] canvas")
                    assert heading in page.inner_text("body")
                    charts = page.locator(".home-chart").count()
                    drawn = page.locator(".home-chart[data-drawn='1'] canvas").count()
                    assert charts >= 1 and drawn >= charts, (login, charts, drawn)
                    words = _english(page.evaluate(VISIBLE), list(listed))  # logins are no English
                    if words:
                        found[f"{login} {size}"] = words
                    if size == "phone":  # nothing scrolls sideways on a phone (a mobile
                        # viewport widens itself to what sticks out: compare with the screen)
                        assert page.evaluate(
                            "document.documentElement.scrollWidth"
                            " <= document.documentElement.clientWidth + 1"
                            " && window.innerWidth <= 391"), (login, size)
                    screenshot(page, f"home_{login}_{size}")
    assert found == {}, found
