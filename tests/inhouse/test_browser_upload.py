"""End to end in a real browser: a firm admin reports a roster for two classes at once.

The firm (approved qualification, two classes) signs in, opens 事务所内部培训 → 培训班上报,
ticks both classes and clicks 上报名单, downloads the bulk template from the upload page,
fills it with a known CPA, an unknown certificate number, a CPA whose name does not match
and a person listed twice, and sees the manual's preview (待导入总人数 4, 证书编号不存在 1,
证书编号与身份证号或姓名不匹配 1, 重复导入 1) with every error's row and column and no
正式导入; fixes the file, uploads it again, clicks 正式导入 and finds both people on each
class's 名单 as 已报名; on 添加 a certificate number fills 姓名 and 身份证号.
"""
from openpyxl import load_workbook

from app import clock
from app.extensions import db
from app.models import InhouseRosterEntry
from tests.browser import browser_page, require_chromium
from tests.helpers import PASSWORD, id_number, serving
from tests.inhouse.world import a_class, qualified

HEADERS = ["是否注师", "证书编号", "姓名", "身份证号", "级别"]


def _fill(template, rows, out):
    workbook = load_workbook(template)
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == HEADERS
    for r in range(2, sheet.max_row + 1):
        for c in range(1, len(HEADERS) + 1):
            sheet.cell(row=r, column=c).value = None
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c).value = value
    workbook.save(out)
    return out


def _table(page, selector):
    return page.locator(selector).evaluate(
        "t => Array.from(t.querySelectorAll('tr')).map("
        "tr => Array.from(tr.querySelectorAll('th,td')).map(c => c.innerText.trim()))")


def test_bulk_roster_upload_with_the_manuals_preview(app, world, tmp_path):
    require_chromium()
    from playwright.sync_api import expect

    today = clock.local_today(clock.now())
    with app.app_context():
        qualified(world.a.id, today.year, clock.now())
        one = a_class(world.a.id, clock.now(), name="浏览器测试一期", start=today, days=1)
        two = a_class(world.a.id, clock.now(), name="浏览器测试二期", start=today, days=1,
                      hours="8.0")
    with serving(app) as base, browser_page("inhouse_bulk_upload") as page:
        page.goto(f"{base}/login/")
        page.fill("#username", world.a.admin)
        page.fill("#password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        page.locator(".navbar a.dropdown-toggle", has_text="事务所内部培训").click()
        page.locator(".navbar .dropdown-menu a", has_text="培训班上报").click()
        page.wait_for_url("**/inhouse/classes/**")
        expect(page.locator("#class-notes")).to_contain_text("开班前至少提前一周上报")
        for pk in (one, two):
            page.locator(f"input.class-pick[value='{pk}']").check()
        page.locator("#roster-bulk").click()
        page.wait_for_url("**/imports/inhouse_roster/**")
        expect(page.locator("#import-rules")).to_contain_text("是否注师、姓名、级别为必填项。")
        with page.expect_download() as info:
            page.locator("#template-link").click()
        template = tmp_path / "template.xlsx"
        info.value.save_as(template)
        bad = _fill(template, [
            ["是", "110100010001", "张一", None, "合伙人"],
            ["是", "110199999999", "王五", None, "助理"],
            ["是", "110100010001", "张三", None, "助理"],
            ["否", None, "张一", id_number(1), "合伙人"],
        ], tmp_path / "名单.xlsx")
        page.set_input_files("input[name=file]", str(bad))
        page.locator("#upload-submit").click()
        page.wait_for_url("**/imports/preview/**")
        counts = {row[0].rstrip(":："): row[1] for row in _table(page, "#import-counts")[1:]}
        assert counts["待导入总人数"] == "4人"
        assert counts["证书编号不存在"] == "1人"
        assert counts["证书编号与身份证号或姓名不匹配"] == "1人"
        assert counts["重复导入"] == "1人"
        errors = _table(page, "#import-errors")[1:]
        assert {(r[0], r[1]) for r in errors} == {("3", "证书编号"), ("4", "证书编号"),
                                                  ("5", "姓名")}
        expect(page.locator("#commit-button")).to_have_count(0)
        with app.app_context():
            assert db.session.query(InhouseRosterEntry).count() == 0
            db.session.remove()

        page.goto(f"{base}/imports/inhouse_roster/?class={one}&class={two}&mode=bulk")
        good = _fill(template, [["是", "110100010001", "张一", None, "合伙人"],
                                ["否", None, "张二", id_number(2), "项目经理"]],
                     tmp_path / "名单2.xlsx")
        page.set_input_files("input[name=file]", str(good))
        page.locator("#upload-submit").click()
        page.wait_for_url("**/imports/preview/**")
        expect(page.locator("#import-errors")).to_have_count(0)
        page.locator("#commit-button").click()
        page.wait_for_url("**/inhouse/classes/**")
        expect(page.locator("body")).to_contain_text("成功导入2人")
        for pk in (one, two):
            page.goto(f"{base}/inhouse/classes/{pk}/roster")
            table = page.locator("#roster-table")
            expect(table).to_contain_text("张一")
            expect(table).to_contain_text("张二")
            expect(table).to_contain_text("已报名")
        # 单个上报: a certificate number fills 姓名 and 身份证号 (static script, under the CSP)
        page.goto(f"{base}/inhouse/classes/{one}/roster/add")
        page.fill("#cert_number", "110100010001")
        page.locator("#level").click()
        expect(page.locator("#name")).to_have_value("张一")
        expect(page.locator("#id_number")).to_have_value(id_number(1))
        page.fill("#cert_number", "110100020001")  # firm B's CPA: not found for firm A
        page.locator("#level").click()
        expect(page.locator("#cert-hint")).to_have_text("证书编号不存在")
    with app.app_context():
        assert db.session.query(InhouseRosterEntry).count() == 4
