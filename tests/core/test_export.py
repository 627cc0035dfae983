"""导出 CSV / 导出 Excel (app/views/export.py): what the files hold and who may get them.

Every export is compared with what the list page itself shows for the same query
string (filters `_flt_<index>_<column>`, order `_oc_<View>` / `_od_<View>`), so the
export is proven to apply the list's filters and order, not a re-implementation of
them; and with the rows each firm owns, so row scoping is proven to hold in files too.
"""
import codecs
import csv
import html
import io
import re
import zipfile
from urllib.parse import quote, unquote

import pytest
from openpyxl import load_workbook

from tests.helpers import make_person

PERSON_HEADERS = ["姓名", "人员类型", "性别", "手机号", "证书编号", "所在事务所", "职位/级别", "状态"]
FIRM_HEADERS = ["事务所编号", "事务所名称", "联系人", "联系人手机号", "电子邮箱", "状态"]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ["csv", "xlsx"]

ROW_RE = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL_RE = re.compile(r"<td>([^<]*)</td>")


# --- helpers -----------------------------------------------------------------

def _view(app, name):
    return next(v for v in app.appbuilder.baseviews if type(v).__name__ == name)


def _flt(app, column, filter_name, view="PersonView"):
    """`_flt_<index>_<column>` for a filter class, the index the list page's search widget uses."""
    with app.test_request_context():
        filters = _view(app, view)._filters.get_search_filters()[column]
    index = [type(f).__name__ for f in filters].index(filter_name)
    return f"_flt_{index}_{column}"


def _csv_rows(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8), body[:10]
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8):].decode("utf-8"), newline="")))


def _xlsx_sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == XLSX_MIME
    return load_workbook(io.BytesIO(response.get_data())).active


def _xlsx_rows(response):
    sheet = _xlsx_sheet(response)
    return [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]


def _rows(response, fmt):
    return _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)


def _export(client, fmt, query="", view="personview"):
    response = client.get(f"/{view}/export/{fmt}/" + (f"?{query}" if query else ""))
    # Read the stream to its end at once: a streamed body left unread keeps its request
    # context (and signed-in user) alive into whatever the test does next.
    response.get_data()
    response.close()
    return response


def _list_rows(client, query="", view="personview"):
    """The data rows the list page shows, cells as text, in the page's order."""
    response = client.get(f"/{view}/list/" + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    return [
        [html.unescape(cell).strip() for cell in CELL_RE.findall(block)]
        for block in ROW_RE.findall(page)
        if f"/{view}/show/" in block
    ]


def _names(rows):
    return [row[0] for row in rows]


def _filename(response):
    """The UTF-8 filename of Content-Disposition (RFC 5987 `filename*=UTF-8''...`)."""
    header = response.headers["Content-Disposition"]
    header.encode("ascii")  # headers must be plain ASCII; the Chinese goes percent-encoded
    assert header.startswith("attachment;"), header
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    assert match, header
    return unquote(match.group(1), errors="strict")


@pytest.fixture
def admin_a(world, make_client):
    client = make_client()
    assert client.login(world.a.admin).status_code == 302 and client.signed_in
    return client


# --- content -------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_person_export_has_chinese_headers_and_exactly_the_firm_admins_rows(
        app, world, admin_a, fmt):
    view = _view(app, "PersonView")
    assert PERSON_HEADERS == [view.label_columns[c] for c in view.list_columns]
    rows = _rows(_export(admin_a, fmt), fmt)
    assert rows[0] == PERSON_HEADERS
    assert sorted(_names(rows[1:])) == sorted(["张一", "张二", "张三"])
    assert {row[5] for row in rows[1:]} == {world.a.name}
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["张一"] == ["张一", "注册会计师", "男", "13800000001", "110100010001",
                             world.a.name, "合伙人", "正常"]
    assert by_name["张二"] == ["张二", "其他从业人员", "女", "13800000002", "", world.a.name,
                             "审计员", "正常"]
    # the same rows, in the same order, as the list page the buttons sit on
    assert _names(rows[1:]) == _names(_list_rows(admin_a))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_holds_the_whole_filtered_result_not_the_page(app, world, admin_a, fmt):
    page_size = _view(app, "PersonView").page_size
    extra = 2 * page_size + 3
    for n in range(extra):
        make_person(app, world.a.id, f"王{n:04d}", phone=f"137{n:08d}")
    make_person(app, world.b.id, "王乙所", phone="13600000000")
    app.config["EXPORT_BATCH_SIZE"] = 7  # several database batches, and a partial last one
    try:
        everything = _rows(_export(admin_a, fmt), fmt)[1:]
        wang = _rows(_export(admin_a, fmt, f"{_flt(app, 'name', 'FilterStartsWith')}=王"
                                          "&page_PersonView=1&psize_PersonView=5"), fmt)[1:]
    finally:
        app.config["EXPORT_BATCH_SIZE"] = 1000
    assert len(_list_rows(admin_a)) == page_size  # the list itself is paged
    assert len(everything) == extra + 3
    assert sorted(_names(everything)) == sorted(
        [f"王{n:04d}" for n in range(extra)] + ["张一", "张二", "张三"])
    assert sorted(_names(wang)) == sorted(f"王{n:04d}" for n in range(extra))
    assert len({row[3] for row in wang}) == extra  # no row twice across batches


@pytest.fixture
def more_people(app, world):
    """Firm A: 张一 张二 张三 (world), 王张, 李四; firm B: 李一 李二 李三 (world), 张五."""
    make_person(app, world.a.id, "王张", phone="13800000004", position="助理")
    make_person(app, world.a.id, "李四", phone="13800000005")
    make_person(app, world.b.id, "张五", phone="13900000005", position="助理")


FILTER_CASES = [
    # (filters as (column, filter class, value), the names firm A's admin gets)
    ([("name", "FilterStartsWith", "张")], {"张一", "张二", "张三"}),
    ([("name", "FilterContains", "张")], {"张一", "张二", "张三", "王张"}),
    ([("name", "FilterNotStartsWith", "张")], {"王张", "李四"}),
    ([("name", "FilterStartsWith", "张"), ("position", "FilterEqual", "助理")], {"张三"}),
    ([("name", "FilterIn", "张一"), ("name", "FilterIn", "李四")], {"张一", "李四"}),
    ([("phone", "FilterEndsWith", "5")], {"李四"}),
    ([("name", "FilterEqual", "李一")], set()),  # firm B's person: the row scope still holds
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("filters,expected", FILTER_CASES)
def test_export_applies_the_list_filters_from_the_query_string(
        app, world, more_people, admin_a, fmt, filters, expected):
    query = "&".join(f"{_flt(app, column, cls)}={quote(value)}" for column, cls, value in filters)
    listed = _names(_list_rows(admin_a, query))
    exported = _names(_rows(_export(admin_a, fmt, query), fmt)[1:])
    assert set(listed) == expected
    assert exported == listed


@pytest.mark.parametrize("fmt", FORMATS)
def test_filter_on_a_firm_the_admin_cannot_see_gives_nothing(app, world, more_people, admin_a,
                                                              fmt, make_client):
    # the firm is searched by its name or code (issue 28: no list of every firm to choose)
    query = f"{_flt(app, 'firm', 'FilterRelatedText')}={world.b.code}"
    assert _rows(_export(admin_a, fmt, query), fmt)[1:] == []
    staff = make_client()
    staff.login(world.staff)
    assert sorted(_names(_rows(_export(staff, fmt, query), fmt)[1:])) == sorted(
        ["李一", "李二", "李三", "张五"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_filter_on_a_column_that_is_not_searchable_is_ignored(app, world, more_people,
                                                                 admin_a, fmt):
    query = "_flt_3_ethnicity=nobody"  # not in search_columns: the list ignores it too
    exported = _names(_rows(_export(admin_a, fmt, query), fmt)[1:])
    assert exported == _names(_list_rows(admin_a, query))
    assert len(exported) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_keeps_the_list_order(app, world, more_people, admin_a, fmt):
    default = _names(_rows(_export(admin_a, fmt), fmt)[1:])
    assert default == _names(_list_rows(admin_a))  # base_order: name asc
    assert len(default) == 5
    desc = "_oc_PersonView=name&_od_PersonView=desc"
    exported = _names(_rows(_export(admin_a, fmt, desc), fmt)[1:])
    assert exported == _names(_list_rows(admin_a, desc)) == list(reversed(default))
    by_phone = _rows(_export(admin_a, fmt, "_oc_PersonView=phone&_od_PersonView=desc"), fmt)[1:]
    phones = [row[3] for row in by_phone]
    assert phones == sorted(phones, reverse=True) and len(phones) == 5
    # ordering and filtering together
    starts = f"{_flt(app, 'name', 'FilterStartsWith')}=" + quote("张")
    both = _names(_rows(_export(admin_a, fmt, f"{starts}&{desc}"), fmt)[1:])
    assert both == [n for n in reversed(default) if n.startswith("张")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("order", [
    "_oc_PersonView=id_number&_od_PersonView=desc",  # a real column, not in order_columns
    "_oc_PersonView=firm.admin_username&_od_PersonView=desc",
    "_oc_PersonView=no_such_column&_od_PersonView=desc",
    "_oc_PersonView=name&_od_PersonView=sideways",  # not a direction
    "_oc_PersonView=name;drop table person&_od_PersonView=desc",
])
def test_an_order_column_not_in_order_columns_is_ignored(app, world, more_people, admin_a, fmt,
                                                          order):
    default = _names(_rows(_export(admin_a, fmt), fmt)[1:])
    response = _export(admin_a, fmt, order)
    assert _names(_rows(response, fmt)[1:]) == default
    assert len(default) == 5


# --- formulas are text --------------------------------------------------------------

FORMULAS = ["=1+1", "@SUM(A1)", "+1+2", "-3+4", "=HYPERLINK(\"http://x\",\"y\")"]


@pytest.fixture
def formula_people(app, world):
    for n, position in enumerate(FORMULAS):
        make_person(app, world.a.id, f"公式{n}", phone=f"1370000000{n}", position=position)


def test_csv_prefixes_formulas_with_a_quote(app, world, formula_people, admin_a):
    starts = f"{_flt(app, 'name', 'FilterStartsWith')}=" + quote("公式")
    rows = _csv_rows(_export(admin_a, "csv", starts))
    positions = {row[0]: row[6] for row in rows[1:]}
    assert positions == {f"公式{n}": "'" + value for n, value in enumerate(FORMULAS)}
    # ordinary text is left alone
    plain = _csv_rows(_export(admin_a, "csv", f"{_flt(app, 'name', 'FilterEqual')}=" + quote("张一")))
    assert plain[1][6] == "合伙人"


def test_xlsx_keeps_formulas_as_text_cells(app, world, formula_people, admin_a):
    response = _export(admin_a, "xlsx", f"{_flt(app, 'name', 'FilterStartsWith')}=" + quote("公式"))
    sheet = _xlsx_sheet(response)
    cells = {row[0].value: row[6] for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == {f"公式{n}" for n in range(len(FORMULAS))}
    for n, value in enumerate(FORMULAS):
        cell = cells[f"公式{n}"]
        assert cell.data_type == "s", (value, cell.data_type)
        assert cell.value == value
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in package.read(name) and b"<f " not in package.read(name)


# --- who may export ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_member_cannot_export(world, client, fmt):
    assert client.login(world.member).status_code == 302 and client.signed_in
    assert client.get("/personview/list/").status_code == 200  # the member may list...
    response = _export(client, fmt)  # ...but holds no can_export
    assert response.status_code != 200
    assert response.status_code in (302, 403)
    body = response.get_data()
    assert "张一".encode() not in body and not body.startswith(codecs.BOM_UTF8)
    assert "Content-Disposition" not in response.headers


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymous_cannot_export(world, client, fmt):
    response = _export(client, fmt)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_staff_exports_both_firms(world, client, fmt):
    client.login(world.staff)
    rows = _rows(_export(client, fmt), fmt)
    assert rows[0] == PERSON_HEADERS
    assert sorted(_names(rows[1:])) == sorted(["张一", "张二", "张三", "李一", "李二", "李三"])
    assert {row[5] for row in rows[1:]} == {world.a.name, world.b.name}


@pytest.mark.parametrize("fmt", FORMATS)
def test_firm_list_export_as_firm_admin_holds_only_its_firm(world, admin_a, fmt, make_client):
    rows = _rows(_export(admin_a, fmt, view="firmview"), fmt)
    assert rows[0] == FIRM_HEADERS
    assert [row[:2] for row in rows[1:]] == [[world.a.code, world.a.name]]
    staff = make_client()
    staff.login(world.staff)
    rows = _rows(_export(staff, fmt, view="firmview"), fmt)
    assert [row[:2] for row in rows[1:]] == [[world.a.code, world.a.name],
                                             [world.b.code, world.b.name]]  # base_order code


@pytest.mark.parametrize("fmt", FORMATS)
def test_audit_log_export_is_refused_to_a_firm_admin(world, admin_a, fmt, make_client):
    response = _export(admin_a, fmt, view="auditlogview")
    assert response.status_code in (302, 403)
    assert "Content-Disposition" not in response.headers
    admin = make_client()
    admin.login(world.admin)
    rows = _rows(_export(admin, fmt, view="auditlogview"), fmt)
    assert rows[0][:3] == ["时间", "操作人", "对象"]
    assert len(rows) > 1  # the world's firms and people were audited


def test_unknown_export_format_is_404(world, admin_a):
    assert _export(admin_a, "pdf").status_code == 404


# --- file names ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("view,title", [("personview", "人员"), ("firmview", "事务所")])
def test_filename_carries_the_chinese_list_title(world, admin_a, fmt, view, title):
    name = _filename(_export(admin_a, fmt, view=view))
    assert re.fullmatch(rf"{title}_\d{{14}}\.{fmt}", name), name
