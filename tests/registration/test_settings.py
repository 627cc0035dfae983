"""The three staff settings screens of 注册业务 (所需材料设置, 预约时段设置, 节假日设置) do their job:
every seeded row saves unchanged, each tick box saves ticked and unticked (no `required` tick
box), a 临时闭馆 day and a disabled slot take effect, 所需材料 takes an optional document without
a template and conditions chosen from Chinese lists, and a save returns to the list."""
import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import CalendarDay, DocRequirement, SlotTemplate
from app.workflows.registration import booking, requirements
from tests.forms import main_form
from tests.registration.common import setup_tables

VIEWS = {DocRequirement: "docrequirementview", SlotTemplate: "slottemplateview",
         CalendarDay: "calendardayview"}
BOOLEANS = {DocRequirement: ("required", "has_template"), SlotTemplate: ("active",),
            CalendarDay: ("open",)}


@pytest.fixture
def staff(app, world, make_client):
    with app.app_context():
        setup_tables(db.session)
        db.session.add_all([CalendarDay(day=dt.date(2026, 12, 28), open=False, note="临时闭馆"),
                            CalendarDay(day=dt.date(2027, 2, 7), open=True, note="春节调休上班")])
        db.session.commit()
    client = make_client()
    client.login(world.staff)
    return client


def _columns(model):
    return [c.key for c in model.__table__.columns if c.key != "id"]


def _snapshot(app, model):
    with app.app_context():
        return {row.id: {c: getattr(row, c) for c in _columns(model)}
                for row in db.session.query(model)}


def _edit(client, model, pk, change=None):
    """Open the edit page, submit what the browser would (with `change` applied)."""
    page = client.get(f"/{VIEWS[model]}/edit/{pk}")
    assert page.status_code == 200
    fields, inputs = main_form(page.get_data(as_text=True))
    data = MultiDict([(k, v) for k, v in fields if k not in (change or {})])
    for key, value in (change or {}).items():
        if value is not None:  # None: an unticked box, not sent at all
            data.add(key, value)
    return client.post(f"/{VIEWS[model]}/edit/{pk}", data=data), inputs


@pytest.mark.parametrize("model", list(VIEWS))
def test_every_seeded_row_saves_unchanged_and_goes_back_to_the_list(app, staff, model):
    before = _snapshot(app, model)
    assert before, "the screen has seeded rows"
    for pk in before:
        response, inputs = _edit(staff, model, pk)
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        assert response.headers["Location"].split("?")[0].endswith(f"/{VIEWS[model]}/list/")
        ticks = [i for i in inputs if i.get("type") == "checkbox"]
        assert ticks and not any("required" in i for i in ticks)
    assert _snapshot(app, model) == before


@pytest.mark.parametrize("model", list(VIEWS))
def test_each_tick_box_saves_both_ways(app, staff, model):
    with app.app_context():
        rows = {row.id: row for row in db.session.query(model)}
        if model is DocRequirement:  # 提供模板 only where the system has a template
            rows = {pk: r for pk, r in rows.items() if r.has_template}
        pk = next(iter(rows))
    for column in BOOLEANS[model]:
        for wanted in (False, True):
            response, _ = _edit(staff, model, pk, {column: "y" if wanted else None})
            assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
            with app.app_context():
                assert getattr(db.session.get(model, pk), column) is wanted


def test_a_temporary_closure_and_a_disabled_slot_take_effect(app, staff):
    day = dt.date(2026, 12, 29)  # a Tuesday
    response = staff.post_form("/calendardayview/add", data={"day": "2026-12-29",
                                                             "note": "临时闭馆（设备检修）"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(CalendarDay).filter_by(day=day).one().open is False
        assert booking.is_open(day) is False and booking.is_open(dt.date(2026, 12, 30))
        slot = db.session.query(SlotTemplate).order_by(SlotTemplate.start).first()
        slot_id, start = slot.id, slot.start
    response, _ = _edit(staff, SlotTemplate, slot_id, {"active": None})
    assert response.status_code == 302
    with app.app_context():
        assert start not in [s.start for s in booking.templates()]
        assert db.session.get(SlotTemplate, slot_id).active is False


def _new_requirement(staff, **extra):
    data = {"case_type": "注册申请", "doc_key": "resume", "label": "个人简历", "sort": "50",
            "condition-rows": "3", **extra}
    return staff.post_form("/docrequirementview/add", data=data)


def test_an_optional_document_without_a_template_and_without_a_condition(app, staff,
                                                                         make_client, world):
    response = _new_requirement(staff)  # 必须上传 and 提供模板 unticked, no condition
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/docrequirementview/list/")
    with app.app_context():
        row = db.session.query(DocRequirement).filter_by(doc_key="resume").one()
        assert (row.required, row.has_template, row.condition) == (False, False, "")
        assert "resume" in {r.doc_key for r in requirements.documents_for("注册申请",
                                                                          {"retired": "否"})}
        assert "个人简历" not in requirements.missing("注册申请", {"retired": "否"}, [])
    # a template the system does not have is refused on the form, naming the code
    page = _new_requirement(staff, doc_key="cv2", label="简历二", has_template="y")
    assert page.status_code == 200
    assert "材料代码“cv2”没有可下载的模板" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(DocRequirement).filter_by(doc_key="cv2").count() == 0


def test_conditions_are_chosen_from_chinese_lists_and_stored_as_before(app, staff):
    page = staff.get("/docrequirementview/add").get_data(as_text=True)
    assert ">是否退休／人员类型<" in page and ">关系转移类型<" in page and ">变更内容<" in page
    assert ">转入协会代管<" in page and ">不为<" in page and ">包含<" in page
    assert "registration_conditions.js" in page
    response = _new_requirement(staff, **{"condition-0-key": "retired", "condition-0-op": "=",
                                          "condition-0-value": "是"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.query(DocRequirement).filter_by(doc_key="resume").one()
        assert row.condition == "retired=是"
        assert requirements.condition_words(row.condition, "注册申请") == "是否退休为“是”"
        pk = row.id
    # the edit page shows the stored clause selected, in Chinese
    fields, _ = main_form(staff.get(f"/docrequirementview/edit/{pk}").get_data(as_text=True))
    assert ("condition-0-key", "retired") in fields and ("condition-0-value", "是") in fields
    # two clauses, one a list answer
    response, _ = _edit(staff, DocRequirement, pk, {
        "case_type": "信息变更", "condition-0-key": "items", "condition-0-op": "~",
        "condition-0-value": "姓名 (证书信息)"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(DocRequirement, pk).condition == "items~姓名 (证书信息)"
    # a field the chosen type's form does not have, or a value it does not offer: refused
    for clause, message in (
            (("transfer_type", "=", "京内转所"), "注册申请的表单没有“关系转移类型”这一项"),
            (("retired", "=", "非退休"), "“是否退休”没有“非退休”这个选项"),
            (("retired", "~", "是"), "“是否退休”只能选“为”或“不为”"),
            (("retired", "=", ""), "适用条件第1条：请选择取值")):
        page = _new_requirement(staff, doc_key="cv3", **{
            "condition-0-key": clause[0], "condition-0-op": clause[1],
            "condition-0-value": clause[2]})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert message in text, message
        assert 'value="个人简历"' in text  # the refused form keeps what was typed


def test_check_condition_names_the_clause(app):
    with app.app_context():
        for case_type, _, _, _, condition, _ in requirements.DEFAULTS:
            requirements.check_condition(case_type, condition)
        with pytest.raises(Exception, match="适用条件第2条"):
            requirements.check_condition("注册申请", "retired=是;gender=男")
