"""End to end in a real browser: a firm admin imports the firm's whole staff list.

The firm admin (already activated) signs in, opens 会员管理 → 从业人员管理 through the
navbar, clicks 导入名单, downloads the template, fills it with the firm's current
people plus two new ones (one with a bad mobile), uploads it and sees the preview
with the error's row, column and message and no 正式导入 button; downloads the error
report (its 错误说明 column marks the bad row); fixes the file, uploads it again,
sees the counts, clicks 正式导入 and lands on the roster list, which shows the new
people with their 登录名 kj+mobile and never another firm's people. The database is
checked too: the new people belong to the firm and have accounts.

Same browser and server as tests/test_browser.py (skips without /usr/bin/chromium on
a workstation, fails under CI).
"""
import re

from openpyxl import load_workbook

from app.models import PersonStatus
from app.roles import MEMBER
from tests.helpers import PASSWORD, id_number, make_firm, make_person, make_user
from tests.browser import browser_page, require_chromium as _require_chromium
from tests.helpers import serving

TEMPLATE_HEADERS = ["姓名", "手机号", "身份证号", "类型", "职位"]
ERROR_COLUMN = "错误说明"
OTHER = "其他从业人员"

# the firm's current roster: (name, mobile, id serial, position); all have kj accounts
CURRENT = [("周一", "13700000301", 301, "合伙人"),
           ("周二", "13700000302", 302, "审计员"),
           ("周三", "13700000303", 303, "助理")]
# another firm's people: never shown to this firm's admin, untouched by its import
OUTSIDERS = [("钱外一", "13700000401", 401), ("钱外二", "13700000402", 402)]
NEW_GOOD = ("吴新一", "13700000311")
NEW_FIXED = ("吴新二", "13700000312")
BAD_MOBILE = "12345"
BAD_ROW = 5  # Excel row of 吴新二 (header = row 1)


def _roster_rows(new_mobile):
    """The whole list as typed into the template: current people + two new ones.

    周二's 职位 changes (one update); 周三's 类型 is left empty (defaults to 其他从业人员);
    吴新一 gives a 身份证号; 吴新二 leaves 类型 and 职位 empty."""
    return [
        ["周一", "13700000301", None, OTHER, "合伙人"],
        ["周二", "13700000302", None, OTHER, "项目经理"],
        ["周三", "13700000303", None, None, "助理"],
        [NEW_FIXED[0], new_mobile, None, None, None],  # row 5
        [NEW_GOOD[0], NEW_GOOD[1], id_number(311), OTHER, "审计员"],  # row 6
    ]


def _fill(template_path, rows, out_path):
    """Write rows under the template's own header row (replacing its example row)."""
    workbook = load_workbook(template_path)
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == TEMPLATE_HEADERS
    assert sheet.max_row >= 2 and sheet.cell(row=2, column=1).value  # the example row
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c).value = value  # cell(value=None) would keep the old
    workbook.save(out_path)
    return out_path


def _table(page, selector):
    """A table's rows as lists of stripped cell texts (header rows included)."""
    return page.locator(selector).evaluate(
        "t => Array.from(t.querySelectorAll('tr')).map("
        "tr => Array.from(tr.querySelectorAll('th,td')).map(c => c.innerText.trim()))")


def _counts(page):
    rows = _table(page, "#import-counts")
    assert rows[0] == ["数据分类", "处理数"]
    counts = {}
    for label, number in rows[1:]:
        assert number.endswith("行" if label.startswith("错误行数") else "人"), (label, number)
        counts[label.rstrip(":：")] = int(number[:-1])
    return counts


def _roster_list(page):
    """The roster list as {姓名: {column header: text}}."""
    table = page.locator("table.table").filter(has=page.locator("th", has_text="登录名")).first
    header_cells = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    listed = {}
    for row in table.locator("tbody tr").all():
        cells = [t.strip() for t in row.locator("td").all_inner_texts()]
        record = dict(zip(header_cells, cells))
        listed[record["姓名"]] = record
    return listed


def _upload(page, path):
    page.set_input_files("input[name=file]", str(path))
    page.locator("#upload-submit").click()
    page.wait_for_url("**/imports/preview/**")


def test_firm_admin_imports_staff_roster_through_template_preview_and_commit(app, tmp_path):
    _require_chromium()
    from playwright.sync_api import expect

    firm = make_firm(app, "11010321", "北京名单导入测试会计师事务所有限公司")
    other = make_firm(app, "11010654", "北京别家会计师事务所（普通合伙）")
    current_ids = {}
    for name, mobile, serial, position in CURRENT:
        current_ids[name] = make_person(app, firm.id, name, phone=mobile, serial=serial,
                                        position=position)
        make_user(app, "kj" + mobile, MEMBER, firm_id=firm.id, person_id=current_ids[name])
    outsider_ids = [make_person(app, other.id, name, phone=mobile, serial=serial)
                    for name, mobile, serial in OUTSIDERS]
    outsider_names = [name for name, _, _ in OUTSIDERS]

    with serving(app) as base, browser_page("firm_admin_staff_import") as page:
        page.goto(f"{base}/login/")
        page.fill("#username", firm.admin)
        page.fill("#password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)

        # 会员管理 → 从业人员管理: the firm's three people, nobody else's
        page.locator(".navbar a.dropdown-toggle", has_text="会员管理").click()
        page.locator(".navbar .dropdown-menu a", has_text="从业人员管理").click()
        page.wait_for_url("**/staffrosterview/list/**")
        before = _roster_list(page)
        assert sorted(before) == sorted(name for name, *_ in CURRENT)
        assert before["周一"]["登录名"] == "kj13700000301"
        for name in outsider_names:
            expect(page.locator("body")).not_to_contain_text(name)

        # 导入名单 → the upload page with the manual's rules and the template link
        page.get_by_role("link", name="导入名单").click()
        page.wait_for_url("**/imports/staff/")
        expect(page.locator("#import-rules")).to_contain_text("kj+手机号")
        expect(page.locator("#import-rules")).to_contain_text("不在名单中的将会被撤销")
        with page.expect_download() as info:
            page.locator("#template-link").click()
        template = tmp_path / info.value.suggested_filename
        assert template.suffix == ".xlsx"
        info.value.save_as(template)

        # first upload: 吴新二's mobile is 12345
        bad_file = _fill(template, _roster_rows(BAD_MOBILE), tmp_path / "从业人员名单.xlsx")
        _upload(page, bad_file)
        expect(page.locator("#import-errors")).to_be_visible()
        assert _table(page, "#import-errors") == [
            ["行号", "列", "错误说明"],
            [str(BAD_ROW), "手机号", "手机号应为11位中国大陆手机号码"],
        ]
        counts = _counts(page)
        assert counts["待导入总人数"] == 5 and counts["错误行数"] == 1
        expect(page.locator("#commit-button")).to_have_count(0)
        expect(page.get_by_role("button", name="正式导入")).to_have_count(0)
        for name in outsider_names:
            expect(page.locator("body")).not_to_contain_text(name)

        # the error report: the rows as uploaded plus 错误说明, filled on the bad row only
        with page.expect_download() as info:
            page.locator("#error-report").click()
        report_path = tmp_path / info.value.suggested_filename
        assert report_path.suffix == ".xlsx"
        info.value.save_as(report_path)
        header, *body = [list(r) for r in load_workbook(report_path).active.iter_rows(
            values_only=True)]
        assert header == TEMPLATE_HEADERS + [ERROR_COLUMN]
        assert [r[0] for r in body] == [r[0] for r in _roster_rows(BAD_MOBILE)]
        marked = {r[0]: r[-1] for r in body if r[-1]}
        assert list(marked) == [NEW_FIXED[0]]
        assert "手机号应为11位中国大陆手机号码" in marked[NEW_FIXED[0]]
        assert body[BAD_ROW - 2][1] == BAD_MOBILE  # the report row is Excel row BAD_ROW

        # nothing was imported by the failed preview
        from app.extensions import db
        from app.models import Person

        with app.app_context():
            assert db.session.query(Person).filter(
                Person.phone.in_([NEW_GOOD[1], NEW_FIXED[1]])).count() == 0
            db.session.remove()

        # fix the mobile and upload the file again
        page.get_by_role("link", name="返回重新上传").click()
        page.wait_for_url("**/imports/staff/")
        fixed_file = _fill(template, _roster_rows(NEW_FIXED[1]), tmp_path / "从业人员名单.xlsx")
        _upload(page, fixed_file)
        expect(page.locator("#import-counts")).to_be_visible()
        expect(page.locator("#import-errors")).to_have_count(0)
        assert _counts(page) == {"待导入总人数": 5, "新增": 2, "更新": 1, "恢复": 0,
                                 "撤销": 0, "不变": 2, "转入待确认": 0, "错误行数": 0}
        # nobody is revoked: no mass-revocation warning, no second confirmation to tick
        expect(page.locator("#mass-revoke-warning")).to_have_count(0)
        expect(page.locator("#confirm-mass-revoke")).to_have_count(0)
        page.locator("#commit-button").click()

        # back on the roster list with the two new people and their 登录名
        page.wait_for_url("**/staffrosterview/list/**")
        expect(page.locator("body")).to_contain_text(
            "正式导入完成：新增2人，更新1人，恢复0人，撤销0人，不变2人")
        after = _roster_list(page)
        assert sorted(after) == sorted([name for name, *_ in CURRENT]
                                       + [NEW_GOOD[0], NEW_FIXED[0]])
        for name, mobile in (NEW_GOOD, NEW_FIXED):
            assert after[name]["登录名"] == "kj" + mobile
            assert after[name]["手机号"] == mobile
            assert after[name]["状态"] == "正常"
            assert after[name]["类型"] == OTHER
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", after[name]["导入时间"])
        for name, mobile, *_ in CURRENT:
            assert after[name]["登录名"] == "kj" + mobile and after[name]["状态"] == "正常"
        for name in outsider_names:
            expect(page.locator("body")).not_to_contain_text(name)

    # the database: new people in this firm with member accounts, nothing else moved
    from flask_appbuilder.security.sqla.models import User

    from app.models import ImportBatch, ImportStatus

    with app.app_context():
        for (name, mobile), id_serial in ((NEW_GOOD, 311), (NEW_FIXED, None)):
            person = db.session.query(Person).filter_by(phone=mobile).one()
            assert (person.name, person.firm_id, person.status) == (name, firm.id, PersonStatus.ACTIVE)
            assert person.person_type == OTHER and person.imported_at is not None
            assert person.id_number == (id_number(id_serial) if id_serial else None)
            account = person.account
            assert account is not None and account.firm_id == firm.id
            assert account.user.username == "kj" + mobile and account.user.active
            assert account.must_change_password
            assert [role.name for role in account.user.roles] == [MEMBER]
        assert db.session.query(Person).filter_by(phone=BAD_MOBILE).count() == 0
        zhou_er = db.session.get(Person, current_ids["周二"])
        assert zhou_er.position == "项目经理" and zhou_er.status == PersonStatus.ACTIVE
        assert db.session.query(User).filter(User.username.like("kj%")).count() == 5
        for pid in outsider_ids:
            outsider = db.session.get(Person, pid)
            assert (outsider.firm_id, outsider.status) == (other.id, PersonStatus.ACTIVE)
        batches = db.session.query(ImportBatch).order_by(ImportBatch.id).all()
        assert [b.status for b in batches] == [ImportStatus.FAILED, ImportStatus.COMMITTED]
        assert {b.firm_id for b in batches} == {firm.id}
        db.session.remove()
