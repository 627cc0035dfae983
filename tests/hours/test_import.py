"""历史学时导入 (issue 7): headers 证书编号, 用户名, 课程名称, 分类, 学时类型, 已获学时, 获得时间;
preview with row errors (unknown person, hours not a number with at most one decimal, unknown
分类 or 学时类型, a date that is not one), then commit; the year is that of 获得时间."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import HourRecord
from app.workflows.core.errors import ForbiddenError
from app.workflows.core.importing import batches
from app.workflows.core.importing.batches import summary_of
from tests.helpers import NOW
from tests.xlsx import xlsx

HEADERS = ["证书编号", "用户名", "课程名称", "分类", "学时类型", "已获学时", "获得时间"]
GOOD = [
    ["110100020001", None, "审计准则专题培训", "专业课", "面授", 8, "2025-05-20"],
    [None, "110100010001", "职业道德专题", "职业道德", "网络课程", "4.0", dt.date(2025, 11, 3)],
    ["110100010001", "110100010001", "学习贯彻二十大精神", "思政", "网络课程", "2.5", "2026/01/08"],
]


def _user(username):
    return db.session.query(User).filter_by(username=username).one()


def _preview(rows, actor_name="staff1"):
    batch = batches.upload(_user(actor_name), NOW, "hours", "历史学时.xlsx",
                           xlsx(rows, HEADERS), {}, background=False)
    return batch, summary_of(batch)


def test_a_good_file_previews_then_commits_into_the_ledger_by_year(ctx, world):
    db.session.commit()
    batch, preview = _preview(GOOD)
    assert preview["committable"] and preview["total"] == 3 and preview["errors"] == []
    assert db.session.query(HourRecord).count() == 0  # a preview changes nothing
    result = batches.commit(_user("staff1"), NOW, batch.token, kind_name="hours")
    assert result["imported"] == 3
    records = {(r.person_id, r.year, r.title, r.hours) for r in db.session.query(HourRecord)}
    assert records == {(world.b_people[0], 2025, "审计准则专题培训", Decimal("8.0")),
                       (world.a_people[0], 2025, "职业道德专题", Decimal("4.0")),
                       (world.a_people[0], 2026, "学习贯彻二十大精神", Decimal("2.5"))}


def test_the_same_file_twice_credits_nothing_twice(ctx, world):
    batch, _ = _preview(GOOD)
    batches.commit(_user("staff1"), NOW, batch.token, kind_name="hours")
    again, preview = _preview(GOOD)
    assert preview["counts"]["重复导入"] == 3
    batches.commit(_user("staff1"), NOW, again.token, kind_name="hours")
    assert db.session.query(HourRecord).count() == 3


@pytest.mark.parametrize("row,column,words", [
    (["119999999999", None, "课", "专业课", "面授", 8, "2025-05-20"], "证书编号", "不存在"),
    ([None, "nobody", "课", "专业课", "面授", 8, "2025-05-20"], "用户名", "不存在"),
    ([None, None, "课", "专业课", "面授", 8, "2025-05-20"], "证书编号", "至少填写一项"),
    (["110100010001", None, "课", "专业课", "面授", "8.25", "2025-05-20"], "已获学时", "最多1位小数"),
    (["110100010001", None, "课", "专业课", "面授", "八", "2025-05-20"], "已获学时", "须为数字"),
    (["110100010001", None, "课", "专业", "面授", 8, "2025-05-20"], "分类", "专业课"),
    (["110100010001", None, "课", "专业课", "直播", 8, "2025-05-20"], "学时类型", "面授"),
    (["110100010001", None, "课", "专业课", "面授", 8, "2025-13-40"], "获得时间", "日期"),
    (["110100020001", "110100010001", "课", "专业课", "面授", 8, "2025-05-20"], "用户名", "同一人"),
])
def test_each_bad_row_is_named_with_its_column_and_nothing_is_saved(ctx, world, row, column,
                                                                      words):
    batch, preview = _preview([GOOD[0], row])
    assert not preview["committable"]
    [error] = preview["errors"]
    assert error["row"] == 3 and error["column"] == column and words in error["message"], error
    with pytest.raises(Exception):
        batches.commit(_user("staff1"), NOW, batch.token, kind_name="hours")
    db.session.rollback()
    assert db.session.query(HourRecord).count() == 0


def test_only_the_institute_imports_hours(ctx, world):
    with pytest.raises(ForbiddenError):
        _preview(GOOD, actor_name="P11010001")
    with pytest.raises(ForbiddenError):
        _preview(GOOD, actor_name="110100010001")


def test_cli_previews_without_changing_and_commits_with_commit(app, world, tmp_path):
    path = tmp_path / "历史学时.xlsx"
    path.write_bytes(xlsx(GOOD, HEADERS))
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["import", "hours", str(path)])
    assert shown.exit_code == 0, shown.output
    preview = json.loads(shown.output[shown.output.index("{"):])
    assert preview["total"] == 3 and preview["valid"] == 3 and preview["errors"] == []
    with app.app_context():
        assert db.session.query(HourRecord).count() == 0
    done = runner.invoke(args=["import", "hours", str(path), "--commit"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.query(HourRecord).count() == 3


# --- 获得时间 with its time (issue 23 item 7) ------------------------------------------------

MANUAL_ROW = ["110100010001", None, "中国注册会计师职业道德守则与案例讲解(2022) 职业道德", "专业课",
              "网络课程", "4.0", "2025-08-05 12:22:52"]


def test_the_manuals_obtained_time_imports_and_the_ledger_keeps_it(ctx, world):
    """Seed 000 §4.2 shows 获得时间 as 「2025-08-05 12:22:52」: that text, an Excel date-time
    cell and a bare date all import, and the ledger keeps the time (Beijing) to the second."""
    rows = [MANUAL_ROW,
            ["110100010001", None, "合并财务报表的编制及实务案例讲解(2023)", "专业课", "网络课程", "4.0",
             dt.datetime(2025, 8, 4, 14, 52, 57)],
            ["110100020001", None, "审计准则专题培训", "专业课", "面授", 8, "2025-05-20"]]
    batch, preview = _preview(rows)
    assert preview["committable"] and preview["errors"] == [], preview["errors"]
    batches.commit(_user("staff1"), NOW, batch.token, kind_name="hours")
    from app import clock
    shown = {r.title[:4]: clock.display(r.obtained_at) for r in db.session.query(HourRecord)}
    assert shown == {"中国注册": "2025-08-05 12:22:52", "合并财务": "2025-08-04 14:52:57",
                     "审计准则": "2025-05-20 00:00:00"}
    record = db.session.query(HourRecord).filter(HourRecord.title.startswith("中国")).one()
    assert record.obtained_at == dt.datetime(2025, 8, 5, 4, 22, 52, tzinfo=dt.timezone.utc)
    assert record.year == 2025


def test_a_file_imported_when_only_days_were_kept_is_still_recognised(ctx, world):
    """The row key of a bare day is what it was before times were kept: 重复导入 still holds."""
    import hashlib

    from app.workflows.hours.importing import _source_id
    before = hashlib.sha256("7|2025-05-20|课|专业课|面授".encode()).hexdigest()[:40]
    assert _source_id(7, {"obtained_at": dt.datetime(2025, 5, 20), "title": "课",
                          "category": "专业课", "delivery": "面授"}) == before


def test_a_future_obtained_time_is_refused_with_the_row_named(ctx, world):
    """No hour is credited with a 获得时间 after now (「培训通过人员名单」: only what was passed)."""
    future = ["110100010001", None, "未来的课", "专业课", "面授", 8, "2026-12-31 09:00:00"]
    batch, preview = _preview([GOOD[0], future])
    [error] = preview["errors"]
    assert error["row"] == 3 and error["column"] == "获得时间" and "晚于当前时间" in error["message"]


def test_every_import_date_column_takes_a_date_time_or_an_excel_cell():
    """A `date` column of any import reads the manual's 2025-08-05 12:22:52 as its day."""
    from app.workflows.core import importing
    column = importing.Column("培训开始时间", "start", kind="date")
    for value in ("2025-08-05 12:22:52", "2025/08/05 12:22", dt.datetime(2025, 8, 5, 12, 22, 52),
                  45874, 45874.515, "2025-08-05"):
        assert importing.cell_value(column, value) == (dt.date(2025, 8, 5), None), value
    moment = importing.Column("获得时间", "at", kind="datetime")
    assert importing.cell_value(moment, "2025-08-05 12:22:52")[0] == \
        dt.datetime(2025, 8, 5, 12, 22, 52)


def test_details_and_the_persons_page_show_the_obtained_time(app, make_client, world):
    """学员学时明细 shows 通过时间, the person's detail 获得时间, to the second as the manual
    (seed 000 §4.2–4.3: 「2025-08-05 12:22:52」), for staff and for the firm admin."""
    from app.workflows.hours import ledger
    with app.app_context():
        ledger.credit(None, NOW, source_kind="import", source_id="t23", person_id=world.a_people[0],
                      year=2025, title="新会计法解读(2024)", category="专业课", delivery="网络课程",
                      hours="4.0", obtained_at=dt.datetime(2025, 8, 5, 12, 22, 52))
        db.session.commit()
    for login in ("staff1", "P11010001"):
        client = make_client()
        assert client.login(login).status_code == 302
        details = client.get("/hours/details/?year=2025").get_data(as_text=True)
        assert "2025-08-05 12:22:52" in details, login
        person = client.get(f"/hours/person/{world.a_people[0]}/2025").get_data(as_text=True)
        assert "2025-08-05 12:22:52" in person, login
