"""删除 and 取消 ask first (issue 23, item 11).

Every page loads one static script (app/static/js/confirm_forms.js: the CSP allows no
inline script, so no template carries onsubmit/onclick) that asks the question a form or
its button declares in data-confirm; deleting an in-house class whose roster was reported
says that the roster goes with it.
"""
import datetime as dt
import re
from pathlib import Path

from app import clock
from app.extensions import db
from app.models import InhouseClass, InhouseRosterEntry
from tests.browser import browser_page, require_chromium
from tests.helpers import NOW, PASSWORD, serving
from tests.inhouse.world import a_class, qualified

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def _entry(class_id, name, serial):
    db.session.add(InhouseRosterEntry(
        class_id=class_id, is_cpa=False, name=name, id_number=f"11010119850312{serial:03d}X",
        level="员工", acquisition="面授", hours="16.0", person_key=f"id:{serial}",
        created_at=NOW))
    db.session.commit()


def test_no_template_carries_an_inline_handler_and_every_page_loads_the_confirmation(
        app, world, client):
    inline = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
              if re.search(r"\son(submit|click)=", p.read_text(encoding="utf-8"))]
    assert inline == []
    for path in ("/login/", "/account/password/"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert re.search(r'<script src="/static/js/confirm_forms.js" nonce="[^"]+">', page), path


def test_deleting_a_reported_class_says_its_roster_goes_with_it(app, world, client):
    with app.app_context():
        qualified(world.a.id, 2026, NOW)
        reported = a_class(world.a.id, NOW, name="已上报名单的班")
        empty = a_class(world.a.id, NOW, name="尚无名单的班")
        _entry(reported, "赵一", 1)
        _entry(reported, "赵二", 2)
    client.login(world.a.admin)
    page = client.get("/inhouse/classes/?year=2026").get_data(as_text=True)
    assert ('data-confirm="确定删除培训班“已上报名单的班”吗？已上报的学员名单（2人）将一并删除，'
            '不能恢复。"') in page
    assert 'data-confirm="确定删除培训班“尚无名单的班”吗？"' in page
    roster = client.get(f"/inhouse/classes/{reported}/roster").get_data(as_text=True)
    assert 'data-confirm="确定从“已上报名单的班”的名单中删除赵一吗？"' in roster
    assert empty


def test_a_dismissed_confirmation_deletes_nothing_and_an_accepted_one_deletes(app, world):
    require_chromium()
    from playwright.sync_api import expect

    today = clock.local_today(clock.now())
    with app.app_context():
        qualified(world.a.id, today.year, clock.now())
        class_id = a_class(world.a.id, clock.now(), name="待删除的班",
                           start=today + dt.timedelta(days=20))
        _entry(class_id, "钱一", 3)
    with serving(app) as base, browser_page("confirm_delete") as page:
        page.goto(f"{base}/login/")
        page.fill("#username", world.a.admin)
        page.fill("#password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto(f"{base}/inhouse/classes/?year={today.year}")
        asked = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.locator("tr.class-row", has_text="待删除的班").locator(".class-delete").click()
        page.wait_for_timeout(300)
        assert asked == ["确定删除培训班“待删除的班”吗？已上报的学员名单（1人）将一并删除，不能恢复。"]
        with app.app_context():
            assert db.session.get(InhouseClass, class_id) is not None
        page.once("dialog", lambda d: d.accept())
        page.locator("tr.class-row", has_text="待删除的班").locator(".class-delete").click()
        expect(page.locator("tr.class-row", has_text="待删除的班")).to_have_count(0)
        with app.app_context():
            assert db.session.get(InhouseClass, class_id) is None
