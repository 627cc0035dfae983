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
