"""Issue 26: 审核中心 in the browser — staff tick two in-house classes, another staff
session approves one of them first, 审核通过 then reports each item's outcome: one done,
one already decided by someone else (the first wins, the second is told)."""
from tests.browser import browser_page, require_chromium, screenshot
from tests.helpers import PASSWORD, WebClient, serving
from tests.review_centre.test_review_centre import at_now, waiting  # noqa: F401 (fixtures)


def test_a_bulk_decision_in_the_browser_reports_the_item_another_session_took(
        app, world, waiting, at_now):  # noqa: F811
    require_chromium()
    other = WebClient(app.test_client())
    other.login(world.staff)
    with serving(app) as base, browser_page("review_centre_bulk",
                                            viewport={"width": 1400, "height": 900}) as page:
        page.goto(f"{base}/login/")
        page.fill("#username", world.staff)
        page.fill("#password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"{base}/review-centre/")
        queue = page.locator("#queue-inhouse_class")
        assert queue.locator(".centre-item").count() == 2
        assert "甲所明日开班" in queue.inner_text() and "乙所年末课程" in queue.inner_text()
        assert page.locator(".centre-count[data-queue=inhouse_qualification]").inner_text() \
            .count("已超期") == 1  # waiting 20 days
        screenshot(page, "review_centre_staff")
        queue.locator(".centre-all").check()  # 全选 ticks both rows
        assert queue.locator(".centre-pick:checked").count() == 2
        # meanwhile another staff member approves 甲所明日开班 from their own page
        first = other.post_form("/review-centre/decide", data={
            "queue": "inhouse_class", "ids": [waiting["a_soon"]], "decision": "approve",
            f"version_{waiting['a_soon']}": "1", "back": "/review-centre/"})
        assert first.status_code == 302
        queue.locator("button[name=decision][value=approve]").click()
        page.wait_for_load_state()
        text = page.locator("body").inner_text()
        assert "已审核通过 1 项" in text, text[:2000]
        assert "甲所明日开班" in text and "已被他人处理" in text
        assert page.locator("#queue-inhouse_class").count() == 0  # nothing left waiting
        screenshot(page, "review_centre_outcomes")
