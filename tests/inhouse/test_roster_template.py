"""The 批量上报 / 特殊上报 templates keep the manual's example apart (issue 23, item 12).

The manual's template shows an example row (梁静茹); a firm that kept it reported 梁静茹 to
its class. The template now holds the header alone on its data sheet and the rules, the
header and the example on a 填写说明 sheet that the import never reads: uploaded unchanged,
it has zero rows (「没有数据行」) and no row is ever taken from the example.
"""
import io

from openpyxl import load_workbook

from app import clock
from app.extensions import db
from app.models import InhouseRosterEntry
from app.workflows.inhouse import importing
from tests.inhouse.world import a_class, qualified

MODES = {"bulk": importing.BULK_RULES, "special": importing.SPECIAL_RULES}


def test_each_template_ships_header_rules_and_example_apart_and_imports_as_no_rows(
        app, world, client):
    today = clock.local_today(clock.now())
    with app.app_context():
        qualified(world.a.id, today.year, clock.now())
        class_id = a_class(world.a.id, clock.now(), name="模板测试班", start=today, days=1)
    client.login(world.a.admin)
    for mode, rules in MODES.items():
        response = client.get(f"/imports/inhouse_roster/template.xlsx?mode={mode}")
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.data))
        assert workbook.sheetnames == ["学员名单", "填写说明"]
        headers = importing.READERS[mode].headers
        data = [row for row in workbook["学员名单"].iter_rows(values_only=True)
                if any(v is not None for v in row)]
        assert data == [tuple(headers)]  # the header, nothing a user must delete
        notes = [row[0] for row in workbook["填写说明"].iter_rows(values_only=True)]
        for number, rule in enumerate(rules, start=1):
            assert f"{number}. {rule}" in notes
        example = [row for row in workbook["填写说明"].iter_rows(values_only=True)
                   if row[2] == "梁静茹"]
        expected = tuple(v or None for v in importing.READERS[mode].example)
        assert len(example) == 1 and example[0][:len(headers)] == expected

        upload = client.post_form("/imports/inhouse_roster/", {
            "file": (io.BytesIO(response.data), f"学员名单{mode}.xlsx"),
            "class": str(class_id), "mode": mode}, content_type="multipart/form-data",
            follow_redirects=True)
        page = upload.get_data(as_text=True)
        assert "没有数据行" in page, mode
        assert "梁静茹" not in page and "示例行" not in page
    with app.app_context():
        assert db.session.query(InhouseRosterEntry).count() == 0
