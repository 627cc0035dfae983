"""The generic import batch: a kind is declarations plus hooks; the lifecycle, the
background worker and its sweeper, the two readers agreeing."""
import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User
from openpyxl import Workbook

from app.extensions import db
from app.models import ImportBatch, ImportStatus, StatusHistory
from app.workflows.core.errors import ConflictError, ValidationError
from app.workflows.core.importing import Column, Problem, batches, reading
from app.workflows.core.importing.kinds import KINDS, ImportKind, Plan, register_kind
from tests.helpers import NOW
from tests.xlsx import xlsx

LATER = NOW + dt.timedelta(minutes=5)
APPLIED = []


class Scores(ImportKind):
    """A toy kind: a decimal column, a cross-field rule, categories, an apply hook."""

    name = "test_scores"
    cli_name = "test-scores"
    title = "测试成绩"
    columns = (Column("是否注师", "is_cpa", required=True, kind="choice", choices=("是", "否")),
               Column("证书编号", "cert", kind="digits"),
               Column("学时", "hours", required=True, kind="decimal", minimum=0))

    def check_row(self, row):
        if row.values.get("is_cpa") == "是" and not row.values.get("cert"):
            row.problems.append(Problem(row.number, "证书编号", "是否注师为“是”时须填写证书编号"))

    def plan(self, ctx, parsed, actor, now):
        rows = parsed.valid_rows
        return Plan(data={"hours": [str(r.values["hours"]) for r in rows]},
                    counts={"注师": sum(r.values["is_cpa"] == "是" for r in rows),
                            "非注师": sum(r.values["is_cpa"] == "否" for r in rows)},
                    fingerprint="fixed")

    def fingerprint(self, ctx, data):
        return "fixed"

    def apply(self, ctx, data, actor, now, options):
        APPLIED.append([Decimal(h) for h in data["hours"]])
        return {"imported": len(data["hours"])}


@pytest.fixture
def kind():
    APPLIED.clear()
    registered = register_kind(Scores())
    yield registered
    KINDS.pop(registered.name)


HEADERS = ["是否注师", "证书编号", "学时"]


def _staff(ctx, world):
    return ctx.query(User).filter_by(username=world.staff).one()


def test_a_kind_previews_with_its_categories_and_commits_once(ctx, world, kind):
    staff = _staff(ctx, world)
    batch = batches.upload(staff, NOW, kind.name, "成绩.xlsx",
                           xlsx([["是", "110100010001", 2.5], ["否", None, "4"]], HEADERS))
    summary = batches.summary_of(batch)
    assert summary["counts"] == {"待导入总人数": 2, "注师": 1, "非注师": 1, "错误行数": 0}
    assert batch.status == ImportStatus.PREVIEWED and APPLIED == []
    result = batches.commit(staff, LATER, batch.token)
    assert result["imported"] == 2 and APPLIED == [[Decimal("2.5"), Decimal("4.0")]]
    with pytest.raises(ValidationError, match="不能重复提交"):
        batches.commit(staff, LATER, batch.token)
    steps = [(h.from_state, h.to_state) for h in ctx.query(StatusHistory).filter_by(
        entity="import_batch", entity_id=batch.id).order_by(StatusHistory.id)]
    S = ImportStatus
    assert steps == [(None, S.PARSING), (S.PARSING, S.PREVIEWED), (S.PREVIEWED, S.COMMITTED)]


def test_row_and_cross_field_problems_name_row_and_column(ctx, world, kind):
    staff = _staff(ctx, world)
    batch = batches.upload(staff, NOW, kind.name, "成绩.xlsx", xlsx(
        [["是", None, 1], ["否", None, "2.25"], ["也许", None, -1]], HEADERS))
    errors = {(e["row"], e["column"], e["message"]) for e in batches.summary_of(batch)["errors"]}
    assert errors == {
        (2, "证书编号", "是否注师为“是”时须填写证书编号"),
        (3, "学时", "“学时”须为数字，最多1位小数"),
        (4, "是否注师", "“是否注师”只能填写：是、否"),
        (4, "学时", "“学时”不能小于0"),
    }
    assert batch.status == ImportStatus.FAILED
    with pytest.raises(ValidationError, match="不能导入"):
        batches.commit(staff, LATER, batch.token)


def test_a_preview_expires_and_a_confirmation_is_asked_when_the_plan_says(ctx, world, kind):
    staff = _staff(ctx, world)
    batch = batches.upload(staff, NOW, kind.name, "成绩.xlsx", xlsx([["否", None, 1]], HEADERS))
    with pytest.raises(ValidationError, match="30分钟失效"):
        batches.commit(staff, NOW + dt.timedelta(minutes=31), batch.token)
    assert ctx.get(ImportBatch, batch.id).status == ImportStatus.EXPIRED  # recorded, kept


def test_two_commits_at_the_same_moment_apply_once(app, world, kind):
    with app.app_context():
        staff = db.session.query(User).filter_by(username=world.staff).one()
        token = batches.upload(staff, NOW, kind.name, "成绩.xlsx",
                               xlsx([["否", None, 1]], HEADERS)).token
    start = threading.Barrier(2)
    outcomes = []

    def commit():
        with app.app_context():
            actor = db.session.query(User).filter_by(username=world.staff).one()
            batches.find(actor, token)
            start.wait()
            try:
                batches.commit(actor, LATER, token)
                outcomes.append("ok")
            except (ConflictError, ValidationError) as error:
                outcomes.append(error.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=lambda o: o != "ok")[0] == "ok" and outcomes.count("ok") == 1
    assert len(APPLIED) == 1


def test_a_dead_worker_is_replaced_by_the_sweeper_and_a_hopeless_batch_is_refused(
        app, world, kind, monkeypatch):
    from app.workflows.core import jobs

    with app.app_context():
        staff = db.session.query(User).filter_by(username=world.staff).one()
        batch = batches.upload(staff, NOW, kind.name, "成绩.xlsx",
                               xlsx([["否", None, 1]], HEADERS), background=True)
        assert batch.status == ImportStatus.PARSING and batch.file_id
        batch_id = batch.id
        # a worker claims it, then dies without a word
        assert batches._claim(batch_id, "dead-worker", NOW)
        run = jobs.run_job("sweep_import_batches", NOW + dt.timedelta(minutes=1))
        assert run.outcome == jobs.OK
        assert db.session.get(ImportBatch, batch_id).status == ImportStatus.PARSING  # alive
        jobs.run_job("sweep_import_batches", NOW + dt.timedelta(minutes=3))
        db.session.expire_all()
        assert db.session.get(ImportBatch, batch_id).status == ImportStatus.PREVIEWED
        # a batch that keeps failing is refused with a message, not left 解析中
        broken = batches.upload(staff, NOW, kind.name, "成绩.xlsx",
                                xlsx([["否", None, 1]], HEADERS), background=True)
        broken_id = broken.id
        monkeypatch.setattr(Scores, "plan", lambda *a, **k: 1 / 0)
        for minutes in (3, 6, 9, 12):
            jobs.run_job("sweep_import_batches", NOW + dt.timedelta(minutes=minutes))
        db.session.expire_all()
        refused = db.session.get(ImportBatch, broken_id)
        assert refused.status == ImportStatus.FAILED
        summary = batches.summary_of(refused)
        assert "ZeroDivision" not in str(summary) and "请重新上传" in summary["errors"][0]["message"]


def test_the_background_worker_previews_a_stored_upload(app, world, kind):
    with app.app_context():
        staff = db.session.query(User).filter_by(username=world.staff).one()
        batch = batches.upload(staff, NOW, kind.name, "成绩.xlsx",
                               xlsx([["否", None, 1]] * 3, HEADERS), background=True)
        batch_id = batch.id
        batches.process(batch_id, lambda: NOW)
        db.session.expire_all()
        assert db.session.get(ImportBatch, batch_id).status == ImportStatus.PREVIEWED


# --- the two readers -------------------------------------------------------------------------

def _workbook(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_calamine_reads_the_same_values_as_openpyxl():
    """python-calamine reads every sheet without formulas: same (value, type) as openpyxl on
    the cases the import tests feed (text, integers, floats, IDs stored as numbers, dates,
    booleans, blanks, blank rows, ragged rows)."""
    rows = [["姓名", "手机号", "身份证号", "日期", "学时", "是否"],
            ["张三", 13800000001, 1.10101198503120E+17, dt.datetime(2025, 1, 31), 2.5, True],
            [" 李四 ", "13800000002", "11010519491231002X", dt.date(2025, 2, 1), 3, False],
            [None, None, None, None, None, None],
            ["王五", None, None, None, 0.1],
            ["１３８", "+86 138", None, None, None, None]]
    data = _workbook(rows)
    assert not reading.inspect_xlsx(data, "a.xlsx").formulas
    fast = [[v for v, _t in row] for row in reading._calamine_rows(data, "a.xlsx")]

    def openpyxl_rows():
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        for cells in book.worksheets[0].iter_rows():
            yield [c.value for c in cells]

    slow = list(openpyxl_rows())
    width = max(len(r) for r in slow)
    pad = lambda r: list(r) + [None] * (width - len(r))  # noqa: E731
    assert [pad(r) for r in fast] == [pad(r) for r in slow]


def test_a_sheet_with_formulas_is_read_with_openpyxl_to_name_the_cell():
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["否", None, "=1+1"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert reading.inspect_xlsx(buffer.getvalue(), "a.xlsx").formulas
    parsed = reading.parse(Scores(), "a.xlsx", buffer.getvalue())
    assert parsed.problems[0].column == "学时" and "公式" in parsed.problems[0].message


class _Short:
    """What `Moded.reader` returns for mode=short: fewer columns, its own rules."""

    name = kind = "test_moded"
    title = "测试分模式（简）"
    sheet_title = "名单"
    columns = (Column("姓名", "name", required=True),)
    unique_keys = ()
    rules = ("简表只有姓名",)
    example = ("张三",)
    template_args = {"mode": "short"}

    @property
    def headers(self):
        return [c.header for c in self.columns]


class Moded(ImportKind):
    """A kind whose template follows a param (as the in-house roster's bulk / special)."""

    name = "test_moded"
    title = "测试分模式"
    columns = (Column("姓名", "name", required=True), Column("学时", "hours", kind="decimal"))
    rules = ("全表有姓名和学时",)
    example = ("张三", "2")

    def reader(self, params):
        return _Short() if params.get("mode") == "short" else self

    def context(self, actor, params):
        return {"mode": params.get("mode")}

    def plan(self, ctx, parsed, actor, now):
        return Plan(data={"names": [r.values["name"] for r in parsed.valid_rows]}, counts={})

    def apply(self, ctx, data, actor, now, options):
        return {"imported": len(data["names"])}


def test_a_kinds_reader_chooses_columns_template_and_rules_by_param(ctx, world, client):
    from app.workflows.core.importing.kinds import Param

    kind = Moded()
    kind.params = (Param("mode", "模式", required=False, choices=lambda actor: [
        ("short", "简表"), ("full", "全表")]),)
    register_kind(kind)
    try:
        staff = _staff(ctx, world)
        short = batches.upload(staff, NOW, kind.name, "简.xlsx", xlsx([["张三"]], ["姓名"]),
                               {"mode": "short"})
        assert batches.summary_of(short)["committable"]
        full = batches.upload(staff, NOW, kind.name, "简.xlsx", xlsx([["张三"]], ["姓名"]),
                              {"mode": "full"})
        assert "表头不符合模板" in batches.summary_of(full)["errors"][0]["message"]
        ctx.commit()
        client.login(world.staff)
        from openpyxl import load_workbook

        template = client.get(f"/imports/{kind.name}/template.xlsx?mode=short")
        assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == ["姓名"]
        page = client.get(f"/imports/{kind.name}/?mode=short").get_data(as_text=True)
        assert "简表只有姓名" in page and "全表有姓名和学时" not in page
        assert "mode=short" in page
        page = client.get(f"/imports/{kind.name}/").get_data(as_text=True)
        assert "全表有姓名和学时" in page
    finally:
        KINDS.pop(kind.name)
