"""信息查询 (seed 000 §4.1–4.3) and the member's 学时查询 (seed 001): the workflow queries
scoped to the actor, their filters, and the pages with their exports, for every role.

「如图可以查看本所学员历年在培训网的学习情况，包括：学员类型、参与学习的人数、通过人数等。」
「可以查看本所学员年度的学时获取情况，包括已获学时、有效学时、面授学时、思政学时、职业道德学时等。」
「点击已获学时可以查看个人学时明细信息」
「根据需要可以根据人员类型、课程名称、课程分类等条件进行筛选。……点“导出”按钮便可以将数据导出到 Excel。」
"""
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from flask_appbuilder.security.sqla.models import User

from app.models import PersonStatus
from app.models import CpeExemption, Person, PersonType
from app.workflows import hours
from app.workflows.hours import queries
from tests.helpers import NOW

YEAR = 2026


def _give(person_id, n, category, delivery, amount, *, year=YEAR, title=None, day=1, month=5):
    hours.credit(None, NOW, source_kind="import", source_id=f"q:{person_id}:{year}:{n}",
                 person_id=person_id, year=year, title=title or f"课程{n}", category=category,
                 delivery=delivery, hours=amount, obtained_at=dt.date(year, month, day))


@pytest.fixture
def studied(app, world):
    """A's CPA 张一 passes 2026; A's 张二 (其他从业人员) studied a little; B's CPA 李一 fails
    on 面授; a 2025 record for 张一; everyone else has nothing."""
    with app.app_context():
        a1, a2, b1 = world.a_people[0], world.a_people[1], world.b_people[0]
        _give(a1, 1, "专业课", "面授", "24", title="新收入准则审计实务", month=3)
        _give(a1, 2, "职业道德", "面授", "4", title="职业道德守则", month=4)
        _give(a1, 3, "思政", "网络课程", "4", title="学习贯彻党的二十大精神", month=6)
        _give(a1, 4, "专业课", "网络课程", "12.5", title="数据分析（网络）", month=7, day=15)
        _give(a2, 1, "专业课", "网络课程", "3", title="数据分析（网络）", month=8)
        _give(b1, 1, "专业课", "网络课程", "40", title="乙所网络课", month=9)
        _give(b1, 2, "职业道德", "网络课程", "4", title="乙所职业道德", month=9)
        _give(a1, 9, "专业课", "面授", "8", year=2025, title="去年的课")
    return world


def _user(session, login):
    return session.query(User).filter_by(username=login).one()


def _annual(session, login, **criteria):
    query = queries.annual(session, _user(session, login),
                           queries.AnnualCriteria(year=YEAR, **criteria))
    return {r.name: r for r in session.execute(query)}


# --- the workflow, without HTTP -----------------------------------------------------------

def test_annual_rows_are_the_rules_answer_for_each_person_in_scope(ctx, studied):
    rows = _annual(ctx, "staff1")
    assert set(rows) == {"张一", "张二", "张三", "李一", "李二", "李三"}
    for name, row in rows.items():
        person = ctx.query(Person).filter_by(name=name).one()
        expected = hours.person_year(ctx, person, YEAR)
        assert (Decimal(row.obtained), Decimal(row.counted), Decimal(row.face_to_face),
                Decimal(row.ethics), Decimal(row.sizheng), bool(row.passed),
                bool(row.required)) == (
            expected.obtained, expected.counted, expected.face_to_face, expected.ethics,
            expected.sizheng, expected.passed, expected.required), name
    assert Decimal(rows["张一"].obtained) == Decimal("44.5") and rows["张一"].passed
    # 44 hours online, of which 24 count; no face-to-face
    assert Decimal(rows["李一"].counted) == Decimal("24.0") and not rows["李一"].passed
    assert queries.verdict_label(rows["张二"].passed, rows["张二"].required) == "无要求"
    assert rows["张一"].username == "110100010001" and rows["张一"].firm_name.startswith("北京甲")


def test_a_firm_admin_sees_its_own_people_whatever_firm_it_asks_for(ctx, studied):
    own = _annual(ctx, "P11010001")
    assert set(own) == {"张一", "张二", "张三"}
    # the criteria's firm narrows, never widens: firm B ∩ firm A's people = nobody
    narrowed = _annual(ctx, "P11010001", firm_id=studied.b.id)
    assert narrowed == {}
    assert set(_annual(ctx, "110100010001")) == {"张一"}  # a member: only itself
    assert set(_annual(ctx, "staff1", firm_id=studied.b.id)) == {"李一", "李二", "李三"}


def test_annual_filters_type_name_cert_and_verdict(ctx, studied):
    assert set(_annual(ctx, "staff1", person_type=PersonType.CPA)) == {"张一", "李一"}
    assert set(_annual(ctx, "staff1", name="一")) == {"张一", "李一"}
    assert set(_annual(ctx, "staff1", cert_number="1101000200")) == {"李一"}
    assert set(_annual(ctx, "staff1", verdict="通过")) == {"张一"}
    assert set(_annual(ctx, "staff1", verdict="未通过")) == {"李一"}
    assert set(_annual(ctx, "staff1", verdict="无要求")) == {"张二", "张三", "李二", "李三"}
    assert set(_annual(ctx, "staff1", name="%")) == set()  # LIKE wildcards are literal


def test_overview_counts_people_learners_and_passes_per_type(ctx, studied):
    staff = _user(ctx, "staff1")
    rows = {r.person_type: r for r in ctx.execute(queries.overview(ctx, staff, YEAR))}
    assert list(rows) == [PersonType.CPA, PersonType.OTHER]  # the manuals' order
    cpa, other = rows[PersonType.CPA], rows[PersonType.OTHER]
    assert (cpa.people, cpa.studied, cpa.passed) == (2, 2, 1) and cpa.required == 2
    assert (other.people, other.studied, other.required) == (4, 1, 0)
    firm_admin = _user(ctx, "P11010001")
    firm_a = {r.person_type: r for r in ctx.execute(queries.overview(ctx, firm_admin, YEAR))}
    assert (firm_a[PersonType.CPA].people, firm_a[PersonType.CPA].passed) == (1, 1)  # A only
    assert firm_a[PersonType.OTHER].people == 2
    # a firm it asks for narrows its own scope, never widens it
    assert ctx.execute(queries.overview(ctx, firm_admin, YEAR, firm_id=studied.b.id)).all() == []
    last_year = {r.person_type: r for r in ctx.execute(queries.overview(ctx, staff, 2025))}
    assert last_year[PersonType.CPA].studied == 1


def test_an_exemption_shows_as_such(ctx, studied):
    ctx.add(CpeExemption(person_id=studied.b_people[0], year=YEAR, condition="产假",
                         created_at=NOW, source_kind="application", source_id="x1"))
    ctx.commit()
    row = _annual(ctx, "staff1")["李一"]
    assert row.exempt and not row.required
    assert queries.verdict_label(row.passed, row.required, row.exempt) == "豁免"


def _details(session, login, **criteria):
    query = queries.details(session, _user(session, login), queries.DetailCriteria(**criteria))
    return [(r.name, r.title) for r in session.execute(query)]


def test_details_filters_as_the_manual_lists_them(ctx, studied):
    assert len(_details(ctx, "staff1", year=YEAR)) == 7
    assert len(_details(ctx, "staff1")) == 8  # every year
    assert {n for n, _ in _details(ctx, "P11010001", year=YEAR)} == {"张一", "张二"}
    assert {n for n, _ in _details(ctx, "110100010001")} == {"张一"}
    assert _details(ctx, "staff1", year=YEAR, kinds=("面授",)) == [
        ("张一", "职业道德守则"), ("张一", "新收入准则审计实务")]
    assert {t for _, t in _details(ctx, "staff1", year=YEAR, kinds=("职业道德", "思政"))} == {
        "职业道德守则", "学习贯彻党的二十大精神", "乙所职业道德"}
    assert {t for _, t in _details(ctx, "staff1", year=YEAR, title="网络")} == {"数据分析（网络）",
                                                                              "乙所网络课"}
    assert {t for _, t in _details(ctx, "staff1", year=YEAR, hours_from=Decimal("12"),
                                   hours_to=Decimal("24"))} == {"新收入准则审计实务", "数据分析（网络）"}
    assert [t for _, t in _details(ctx, "staff1", year=YEAR, passed_from=dt.date(2026, 7, 1),
                                   passed_to=dt.date(2026, 7, 31))] == ["数据分析（网络）"]
    assert {n for n, _ in _details(ctx, "staff1", username="110100010001")} == {"张一"}
    assert {n for n, _ in _details(ctx, "staff1", name="李")} == {"李一"}
    assert _details(ctx, "staff1", status=PersonStatus.REVOKED) == []
    assert {n for n, _ in _details(ctx, "staff1", year=YEAR, person_type=PersonType.OTHER)} == {
        "张二"}


COUNTED = [  # every filter of 学员学时明细, alone and combined (issue 28: the count joins only
    # what a filter needs; its total stays the list's own)
    {}, {"year": YEAR}, {"year": 2025}, {"year": YEAR, "kinds": ("面授",)},
    {"year": YEAR, "kinds": ("职业道德", "思政")}, {"year": YEAR, "title": "网络"},
    {"year": YEAR, "hours_from": Decimal("12"), "hours_to": Decimal("24")},
    {"year": YEAR, "passed_from": dt.date(2026, 7, 1), "passed_to": dt.date(2026, 7, 31)},
    {"username": "110100010001"}, {"username": "nobody"}, {"name": "李"}, {"name": "张"},
    {"status": PersonStatus.REVOKED}, {"status": PersonStatus.ACTIVE},
    {"year": YEAR, "person_type": PersonType.OTHER}, {"year": YEAR, "person_type": PersonType.CPA},
    {"year": YEAR, "name": "张", "kinds": ("面授",), "username": "110100010001"},
]


@pytest.mark.parametrize("login", ["staff1", "P11010001", "110100010001"])
def test_the_details_count_is_the_number_of_rows_listed(ctx, studied, login):
    """The count is taken on the hour records (person and login joined only for a filter
    on them) and is, for every filter and role, the number of rows the list has; a firm
    chosen by staff, or by a firm admin for another firm, too."""
    actor = _user(ctx, login)
    firms = [None, studied.a.id, studied.b.id]
    for criteria in COUNTED:
        for firm_id in firms:
            chosen = queries.DetailCriteria(**criteria, firm_id=firm_id)
            rows = ctx.execute(queries.details(ctx, actor, chosen)).all()
            assert queries.details_count(ctx, actor, chosen) == len(rows), (login, criteria,
                                                                            firm_id)
            page, total = queries.details_page(ctx, actor, chosen, 1, 3)
            assert total == len(rows) and page == rows[:3]


def test_staff_count_every_firm_on_the_hour_records_alone(ctx, studied):
    """Staff asking for a year of every firm: a count of hour_record with no join."""
    sent = []
    from sqlalchemy import event

    def capture(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = ctx.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        total = queries.details_count(ctx, _user(ctx, "staff1"),
                                      queries.DetailCriteria(year=YEAR, kinds=("面授",)))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert total == 2
    counted = [s for s in sent if "count(" in s.lower()]
    assert len(counted) == 1 and "JOIN" not in counted[0].upper(), counted
    assert "hour_record" in counted[0]


def test_bad_criteria_are_named_in_chinese():
    from app.workflows.core.errors import ValidationError

    with pytest.raises(ValidationError, match="年度须为四位数字年份"):
        queries.parse_year("二〇二六", 2026)
    with pytest.raises(ValidationError, match="年度须在2000至2100之间"):
        queries.parse_year("99999999999999999999", 2026)
    with pytest.raises(ValidationError, match="学时下限须为数字"):
        queries.parse_decimal("abc", "hours_from", "学时下限")
    with pytest.raises(ValidationError, match="通过日期（起）须为日期"):
        queries.parse_date("2026-13-01", "passed_from", "通过日期（起）")


# --- the pages ------------------------------------------------------------------------------

def _page(make_client, login, url):
    client = make_client()
    assert client.login(login).status_code == 302 and client.signed_in
    return client.get(url)


@pytest.mark.parametrize("login, url, status", [
    ("staff1", "/hours/overview/", 200), ("staff1", "/hours/annual/", 200),
    ("staff1", "/hours/details/", 200), ("P11010001", "/hours/overview/", 200),
    ("P11010001", "/hours/annual/", 200), ("P11010001", "/hours/details/", 200),
    ("110100010001", "/hours/mine/", 200),
    ("110100010001", "/hours/annual/", 403), ("110100010001", "/hours/details/", 403),
    ("110100010001", "/hours/overview/", 403), ("110100010001", "/hours/annual/export/xlsx/", 403),
    ("staff1", "/hours/mine/", 403), ("P11010001", "/hours/mine/", 403),
])
def test_who_opens_which_query(make_client, studied, login, url, status):
    response = _page(make_client, login, url)
    assert response.status_code in ((status,) if status == 200 else (302, 403)), (
        login, url, response.status_code)


def test_the_annual_page_links_each_obtained_to_the_persons_detail(make_client, studied):
    page = _page(make_client, "P11010001", f"/hours/annual/?year={YEAR}").get_data(as_text=True)
    assert "张一" in page and "李一" not in page and "44.5" in page
    link = f"/hours/person/{studied.a_people[0]}/{YEAR}"
    assert link in page
    detail = _page(make_client, "P11010001", link).get_data(as_text=True)
    assert "新收入准则审计实务" in detail and "职业道德守则" in detail
    assert ("您2026年继续教育已通过，已获44.5学时，其中面授课程28.0学时，职业道德4.0学时，"
            "思政课程4.0学时。") in detail
    failing = _page(make_client, "staff1", f"/hours/person/{studied.b_people[0]}/{YEAR}")
    text = failing.get_data(as_text=True)
    assert "您2026年继续教育未通过" in text and "面授学时不足16学时" in text
    # another firm's person: not found, never shown
    assert _page(make_client, "P11010001",
                 f"/hours/person/{studied.b_people[0]}/{YEAR}").status_code == 404


def test_the_pages_show_bad_criteria_instead_of_failing(make_client, studied):
    page = _page(make_client, "staff1",
                 "/hours/details/?year=abc&hours_from=x&passed_to=2026-02-30&page=zz")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "年度须为四位数字年份" in text and "学时下限须为数字" in text and "通过日期（止）须为日期" in text
    export = _page(make_client, "staff1", "/hours/details/export/xlsx/?hours_to=x")
    assert export.status_code == 400


def _xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


def test_exports_hold_every_row_of_the_query_in_scope(make_client, studied):
    annual = _xlsx_rows(_page(make_client, "P11010001",
                              f"/hours/annual/export/xlsx/?year={YEAR}&type=注册会计师"))
    assert annual[0] == ["会员类型", "用户名", "真实姓名", "证书编号", "已获学时", "有效学时", "面授学时",
                         "思政学时", "职业道德学时", "结论"]
    # hours are numbers (Excel sums them), shown with their one place
    assert annual[1:] == [["注册会计师", "110100010001", "张一", "110100010001", 44.5, 44.5,
                           28, 4, 4, "通过"]]
    everyone = _xlsx_rows(_page(make_client, "staff1", f"/hours/annual/export/xlsx/?year={YEAR}"))
    assert everyone[0][0] == "所在事务所" and len(everyone) == 7
    response = _page(make_client, "staff1", f"/hours/details/export/csv/?year={YEAR}&kind=面授")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["会员类型", "用户名", "真实姓名", "账号状态", "课程"]
    assert sorted(r[4] for r in rows[1:]) == ["新收入准则审计实务", "职业道德守则"]
    overview = _xlsx_rows(_page(make_client, "P11010001", f"/hours/overview/export/xlsx/?year={YEAR}"))
    assert overview[0] == ["年度", "学员类型", "人数", "参与学习人数", "通过人数", "通过率"]
    assert [YEAR, "注册会计师", 1, 1, 1, 1] in overview


def test_a_member_queries_and_exports_only_its_own_hours(make_client, studied):
    page = _page(make_client, "110100010001", "/hours/mine/").get_data(as_text=True)
    assert "2026" in page and "2025" in page and "44.5" in page
    assert f"/hours/person/{studied.a_people[0]}/2025" in page
    rows = _xlsx_rows(_page(make_client, "110100010001", "/hours/mine/export/xlsx/"))
    assert rows[0] == ["年度", "分类", "课程名称", "课程时长（分钟）", "获得时间", "已获学时", "学时类型",
                       "获得方式", "来源"]
    assert len(rows) == 6 and {r[2] for r in rows[1:]} >= {"去年的课", "职业道德守则"}
    assert _page(make_client, "110100010001",
                 f"/hours/person/{studied.a_people[1]}/{YEAR}").status_code == 404


def test_acquisition_is_the_manuals_and_the_source_has_its_own_column(app, make_client, studied):
    """Seed 000 §4.2's detail: 「获得方式 … 正常」 — every record says 正常, and where the hours
    came from (历史导入, 事务所内部培训, 网络学习 …) is the 来源 column (issue 23: 获得方式 mixed
    正常 with source names)."""
    import pytest as _pytest
    from app.workflows.core.errors import ValidationError as _Invalid
    page = _page(make_client, "P11010001",
                 f"/hours/person/{studied.a_people[0]}/{YEAR}").get_data(as_text=True)
    assert "<th>获得方式</th><th>来源</th>" in page
    assert page.count("<td>正常</td><td>历史导入</td>") == 4
    rows = _xlsx_rows(_page(make_client, "110100010001", "/hours/mine/export/xlsx/"))
    assert {(r[7], r[8]) for r in rows[1:]} == {("正常", "历史导入")}
    with app.app_context(), _pytest.raises(_Invalid):
        hours.credit(None, NOW, source_kind="import", source_id="bad", person_id=1, year=YEAR,
                     title="课", category="专业课", delivery="面授", hours="1",
                     obtained_at=dt.date(YEAR, 1, 2), acquisition="事务所内部培训")


def test_the_year_is_the_link_the_mine_page_promises(make_client, studied):
    """学时查询 says 「点击年度查看当年的学时明细」: the year itself links to that year's detail."""
    page = _page(make_client, "110100010001", "/hours/mine/").get_data(as_text=True)
    assert "点击年度查看" in page
    for year in (YEAR, 2025):
        link = f'<a class="year-link" href="/hours/person/{studied.a_people[0]}/{year}"'
        assert link in page and f">{year}</a>" in page, year


def test_the_details_count_stops_past_its_cap(ctx, studied):
    """Counted up to `cap` + 1 rows: the exact number at or below the cap, cap + 1 (more
    than the cap) above it; no count at all when the first page is not full."""
    from sqlalchemy import event

    staff = _user(ctx, "staff1")
    criteria = queries.DetailCriteria(year=YEAR)
    assert queries.details_count(ctx, staff, criteria) == 7
    assert queries.details_count(ctx, staff, criteria, cap=7) == 7
    assert queries.details_count(ctx, staff, criteria, cap=3) == 4
    assert queries.details_page(ctx, staff, criteria, 2, 2, cap=3)[1] == 4
    sent = []

    def capture(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = ctx.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        rows, total = queries.details_page(ctx, staff, criteria, 1, 20, cap=3)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(rows) == total == 7 and len(sent) == 1 and "count(" not in sent[0].lower()


def test_the_details_page_says_more_than_the_cap(make_client, studied, app, monkeypatch):
    """Beyond the cap the pager reads 「共 3+ 条」 and keeps a next page while a page is full."""
    monkeypatch.setattr(queries, "DETAILS_COUNT_CAP", 3)
    monkeypatch.setitem(app.config, "LIST_PAGE_SIZE", 2)
    first = _page(make_client, "staff1", f"/hours/details/?year={YEAR}").get_data(as_text=True)
    assert "共 3+ 条，第 1 / 2 页" in first
    third = _page(make_client, "staff1", f"/hours/details/?year={YEAR}&page=3")
    assert "共 3+ 条，第 3 / 4 页" in third.get_data(as_text=True)
    last = _page(make_client, "staff1", f"/hours/details/?year={YEAR}&page=4")
    assert "共 3+ 条，第 4 / 4 页" in last.get_data(as_text=True)
    exact = _page(make_client, "P11010001", f"/hours/details/?year={YEAR}&kind=面授")
    assert "共 2 条，第 1 / 1 页" in exact.get_data(as_text=True)  # A's 2 面授: under the cap


@pytest.mark.parametrize("login", ["staff1", "P11010001"])
def test_a_deep_page_of_peoples_records_is_the_same_page(ctx, studied, login, monkeypatch):
    """Far from the first page, records narrowed by person are picked by id first
    (`_deep_details`): the same rows in the same order as the list's own query, for every
    filter, firm and page (on SQLite and PostgreSQL)."""
    from app.workflows.core.sql import limited

    actor = _user(ctx, login)
    for criteria in COUNTED:
        for firm_id in (None, studied.a.id):
            chosen = queries.DetailCriteria(**criteria, firm_id=firm_id)
            every = ctx.execute(queries.details(ctx, actor, chosen)).all()
            for size, offset in ((2, 0), (2, 2), (3, 3), (20, 0)):
                deep = ctx.execute(queries._deep_details(actor, chosen, size, offset)).all()
                assert deep == every[offset:offset + size], (login, criteria, firm_id, offset)
                assert deep == ctx.execute(limited(queries.details(ctx, actor, chosen), size,
                                                   offset)).all()
    # the page takes that path from DEEP_OFFSET on, when the records are narrowed by person
    from sqlalchemy import event

    monkeypatch.setattr(queries, "DEEP_OFFSET", 2)
    chosen = queries.DetailCriteria(year=YEAR, name="张")
    sent = []

    def capture(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(ctx.get_bind(), "before_cursor_execute", capture)
    try:
        rows, total = queries.details_page(ctx, actor, chosen, 2, 2)
    finally:
        event.remove(ctx.get_bind(), "before_cursor_execute", capture)
    every = ctx.execute(queries.details(ctx, actor, chosen)).all()
    assert rows == every[2:4] and total == len(every) and len(every) > 2
    assert "WITH chosen AS" in sent[0], sent[0]
