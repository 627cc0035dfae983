"""End to end in a real browser: a firm admin's first day.

Playwright drives Debian's /usr/bin/chromium (no browser download) against the
session app served by a threaded werkzeug server on a free loopback port. The
firm admin signs in with the initial password, is forced to the first-login page,
sets contact and password, opens 会员管理 → 人员信息, filters 姓名 with FAB's own
search widget, exports Excel and the file holds exactly the firm's filtered rows.

Without /usr/bin/chromium the test skips on a workstation and fails under CI
(CI set), so a CI machine that lost its browser cannot pass silently.
"""
import re

from openpyxl import load_workbook

from tests.browser import browser_page, require_chromium as _require_chromium
from tests.helpers import make_firm, make_person, serving

PERSON_HEADERS = ["姓名", "人员类型", "性别", "手机号", "证书编号", "所在事务所", "职位/级别", "状态"]


def test_firm_admin_first_login_filter_and_export_excel(app, tmp_path):
    _require_chromium()
    from playwright.sync_api import expect

    firm = make_firm(app, "11010123", "北京测试浏览器会计师事务所有限公司", activated=False)
    other = make_firm(app, "11010456", "北京另一家会计师事务所（普通合伙）")
    for number, name in enumerate(["王小明", "王小红", "王小兵", "李大伟", "赵小王"]):
        make_person(app, firm.id, name, phone=f"1370000010{number}", serial=100 + number)
    for number, name in enumerate(["王小刚", "王小丽", "钱多多"]):
        make_person(app, other.id, name, phone=f"1370000020{number}", serial=200 + number)
    expected = ["王小兵", "王小明", "王小红"]  # this firm's 姓名 containing 王小

    with serving(app) as base, browser_page("firm_admin_export") as page:
        # sign in with the initial password: the code's last 6 characters
        page.goto(f"{base}/login/")
        page.fill("#username", firm.admin)
        page.fill("#password", firm.code[-6:])
        page.locator("form [type=submit]").click()

        # forced to the first-login page, whatever was asked for
        page.wait_for_url("**/account/first-login/")
        page.goto(f"{base}/personview/list/")
        page.wait_for_url("**/account/first-login/")
        expect(page.locator("#first-login")).to_contain_text(firm.name)
        page.fill("#contact_name", "王联系")
        page.fill("#contact_phone", "13912345678")
        page.fill("#new_password", "Browser2026ok")
        page.fill("#repeat", "Browser2026ok")
        page.locator("#first-login button[type=submit]:not([form])").click()
        page.wait_for_url(lambda url: "/first-login/" not in url and "/login/" not in url)
        expect(page.locator("body")).to_contain_text("信息已保存")

        # 会员管理 → 人员信息
        page.locator(".navbar a.dropdown-toggle", has_text="会员管理").click()
        page.locator(".navbar .dropdown-menu a", has_text="人员信息").click()
        page.wait_for_url("**/personview/list/**")
        expect(page.locator("body")).to_contain_text("李大伟")
        expect(page.locator("body")).not_to_contain_text("王小刚")

        # FAB's search widget: 搜索 → 添加过滤条件 → 姓名, operation 包含, value 王小
        page.locator("a.accordion-toggle", has_text="搜索").click()
        form = page.locator("#filter_form")
        form.locator("button.dropdown-toggle").click()
        form.locator("a.filter[name=name]").click()
        filter_row = form.locator("table.filters tr").last
        filter_row.locator(".select2-selection").click()
        page.locator(".select2-results__option", has_text=re.compile(r"^\s*包含\s*$")).click()
        filter_row.locator("input.filter_val").fill("王小")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/personview/list/?*_flt_2_name=*")

        listed = [t.strip() for t in page.locator("table tbody tr td").all_inner_texts()]
        for name in expected:
            assert name in listed
        for name in ["李大伟", "赵小王", "王小刚", "王小丽"]:
            assert name not in listed

        # 导出 Excel carries the filter; the file is this firm's filtered rows only
        export = page.locator("#export-xlsx")
        assert "_flt_2_name=" in export.get_attribute("href")
        with page.expect_download() as info:
            export.click()
        download = info.value
        assert download.suggested_filename.endswith(".xlsx")
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)

    sheet = load_workbook(saved, read_only=True).active
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == PERSON_HEADERS
    name_col, firm_col = header.index("姓名"), header.index("所在事务所")
    assert sorted(row[name_col] for row in body) == sorted(expected)
    assert {row[firm_col] for row in body} == {firm.name}

    # the first-login form really saved the contact and the new password
    from app.extensions import db
    from app.models import Firm

    with app.app_context():
        saved_firm = db.session.get(Firm, firm.id)
        assert (saved_firm.contact_name, saved_firm.contact_phone) == ("王联系", "13912345678")
        db.session.remove()
