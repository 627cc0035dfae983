"""Every export says what its screen says (issue 23 item 5; team guide: 「an export says what
its screen says, numbers as numbers」): for each list page that exports, the screen's table is
read from the HTML and the workbook back with openpyxl; the columns both have agree row by row,
hours are number cells (Excel sums them) and times date cells, 事务所培训概况 has 通过率 and says
无学时要求 where the screen does."""
import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from flask_appbuilder.security.sqla.models import User

from app.models import TransferStatus
from app.models import OutboxStatus
from app import clock
from app.extensions import db
from app.models import Firm, PersonType
from app.workflows import hours
from app.workflows.applications import rules as applications
from tests.applications.world import output, proof
from tests.helpers import NOW, make_person

YEAR = 2026


class _Table(HTMLParser):
    """The header and body rows (cell texts) of the table with the given id."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell, self.row = table_id, 0, [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.row = []
        elif self.depth and tag in ("td", "th"):
            self.cell = []
            self.span = int(dict(attrs).get("colspan", 1))

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.row.extend([None] * (self.span - 1))  # a merged cell: what follows is empty
            self.cell = None
        elif self.depth and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def screen_table(html: str, table_id: str):
    parser = _Table(table_id)
    parser.feed(html)
    return parser.rows[0], parser.rows[1:]


def shown(cell) -> str | None:
    """A workbook cell as a person reads it in Excel (its number format applied)."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if "hh" in fmt else "%Y-%m-%d")
    if isinstance(value, (int, float)) and fmt.endswith("%"):
        return f"{100 * value:.1f}%"
    if isinstance(value, (int, float)) and fmt.startswith("0."):
        return f"{value:.{len(fmt) - 2}f}"
    return str(value)


def workbook_table(data: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in sheet.iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


def compare(html, table_id, data, *, skip=("序号",)):
    """The columns both tables have, row by row (as sets of rows: the same rows, any order)."""
    header, body = screen_table(html, table_id)
    book_header, book_rows = workbook_table(data)
    shared = [h for h in header if h in book_header and h not in skip]
    assert len(shared) >= 4, (header, book_header)
    screen = sorted(tuple(row[header.index(h)] or "" for h in shared) for row in body)
    book = sorted(tuple(shown(row[book_header.index(h)]) or "" for h in shared)
                  for row in book_rows)
    assert book == screen, (shared, screen, book)
    assert screen, "the screen shows no rows: nothing was compared"
    return shared, book_header, book_rows


@pytest.fixture
def listed(app, world):
    """A's CPA 张一: hours of 2026 with times; A's 其他从业人员 (no requirement) with some; 张一
    filed an 产出式 application that staff confirmed."""
    with app.app_context():
        make_person(app, world.a.id, "王其他", person_type=PersonType.OTHER, serial=40)
        for number, (delivery, amount, moment) in enumerate([
                ("面授", "24", dt.datetime(2026, 3, 5, 9, 30, 15)),
                ("网络课程", "12.5", dt.datetime(2026, 8, 5, 12, 22, 52)),
                ("执业机构内培", "8", dt.date(2026, 6, 1))]):
            hours.credit(None, NOW, source_kind="import", source_id=f"m{number}",
                         person_id=world.a_people[0], year=YEAR, title=f"课程{number}",
                         category="专业课", delivery=delivery, hours=amount, obtained_at=moment)
        hours.credit(None, NOW, source_kind="import", source_id="o1", person_id=world.a_people[1],
                     year=YEAR, title="其他人员的课", category="专业课", delivery="网络课程",
                     hours="3", obtained_at=dt.datetime(2026, 7, 1, 8, 0))
        member = db.session.query(User).filter_by(username=world.member).one()
        applications.file_application(member, NOW, output(), proof())
        db.session.commit()
    return world


def _get(make_client, login, url):
    client = make_client()
    assert client.login(login).status_code == 302
    response = client.get(url)
    assert response.status_code == 200, url
    return response


@pytest.mark.parametrize("login", ["staff1", "P11010001"])
@pytest.mark.parametrize("page,table,export", [
    (f"/hours/overview/?year={YEAR}", "overview-table", f"/hours/overview/export/xlsx/?year={YEAR}"),
    (f"/hours/annual/?year={YEAR}", "annual-table", f"/hours/annual/export/xlsx/?year={YEAR}"),
    (f"/hours/details/?year={YEAR}", "details-table", f"/hours/details/export/xlsx/?year={YEAR}"),
])
def test_each_hour_query_exports_what_its_screen_shows(make_client, listed, login, page, table,
                                                       export):
    html = _get(make_client, login, page).get_data(as_text=True)
    shared, header, rows = compare(html, table, _get(make_client, login, export).data)
    for name in ("学时", "已获学时", "有效学时", "面授学时"):
        if name in header:  # hours are numbers, shown with one place
            cells = [r[header.index(name)] for r in rows]
            assert all(isinstance(c.value, (int, float)) and
                       c.number_format == ("0" if c.value == 0 else "0.0") for c in cells), name
    if "通过时间" in header:  # times are date cells, in Beijing time
        cells = [r[header.index("通过时间")] for r in rows]
        assert all(isinstance(c.value, dt.datetime) for c in cells)
        assert "2026-08-05 12:22:52" in [shown(c) for c in cells]


def test_the_overview_workbook_has_the_pass_rate_and_no_requirement_as_the_screen(
        make_client, listed):
    """事务所培训概况: 通过率 as on the screen; 其他从业人员 「无学时要求」, never counted 通过."""
    _, rows = workbook_table(_get(make_client, "P11010001",
                                  f"/hours/overview/export/xlsx/?year={YEAR}").data)
    by_type = {r[1].value: [c.value for c in r] for r in rows}
    assert by_type[PersonType.OTHER][4:] == ["无学时要求", None]
    rate = [r for r in rows if r[1].value == PersonType.CPA][0][5]
    assert rate.number_format == "0.0%" and 0 <= rate.value <= 1


def test_the_applications_workbook_agrees_with_its_list(make_client, listed):
    for login in ("110100010001", "staff1"):
        html = _get(make_client, login, "/applications/").get_data(as_text=True)
        data = _get(make_client, login, "/applications/export").data
        header, body = screen_table(html, "application-table")
        book_header, book_rows = workbook_table(data)
        for label in ("数量", "申请学时", "状态", "提交时间"):
            screen = [row[header.index(label)] for row in body]
            book = [shown(row[book_header.index(label)]) for row in book_rows]
            assert book == screen, (login, label, screen, book)
        hours_cell = book_rows[0][book_header.index("申请学时")]
        assert isinstance(hours_cell.value, (int, float)) and hours_cell.number_format == "0.0"
        assert isinstance(book_rows[0][book_header.index("提交时间")].value, dt.datetime)


# --- every model list that exports (ScopedModelView + ExportMixin) --------------------------

def _exporting_views():
    """Names of the list views with 导出 Excel: every ScopedModelView subclass of the domains
    (the test checks the app registers each and that none registered is missing)."""
    from app.domains import load
    from app.views.core.scoping import ScopedModelView

    load()

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return sorted({c.__name__ for c in walk(ScopedModelView)
                   if c.base_permissions is None or "can_export" in c.base_permissions})


EXPORTING = _exporting_views()


class _Tables(HTMLParser):
    """Every table of a page (a custom list template may put another table above FAB's)."""

    def __init__(self):
        super().__init__()
        self.tables = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(_Table(None))
            self.tables[-1].depth = 1
        elif self.tables:
            self.tables[-1].handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.tables:
            self.tables[-1].handle_endtag(tag)

    def handle_data(self, data):
        if self.tables:
            self.tables[-1].handle_data(data)


def list_table(html: str, labels):
    """The table whose header has the most of the list's column labels (FAB shows no table
    for an empty list: then the labels and no rows)."""
    parser = _Tables()
    parser.feed(html)
    tables = [t.rows for t in parser.tables
              if t.rows and 2 * len(set(t.rows[0]) & set(labels)) >= len(labels)]
    if not tables:
        assert "没有找到记录" in html
        return [list(labels)]
    return max(tables, key=lambda rows: len(set(rows[0]) & set(labels)))


def _links(app, view) -> set:
    """Columns the screen shows as a link (the workbook holds the address or the value)."""
    from markupsafe import Markup

    linked = set()
    with app.test_request_context():
        for column, formatter in (view.formatters_columns or {}).items():
            try:
                shown = formatter(1)
            except Exception:  # noqa: BLE001 — a formatter for another kind of value
                continue
            if isinstance(shown, Markup) and "<a " in shown:
                linked.add(view.label_columns.get(column, column))
    return linked


def _registered(app):
    from app.views.core.scoping import ScopedModelView

    return {type(v).__name__: v for v in app.appbuilder.baseviews
            if isinstance(v, ScopedModelView) and "can_export" in (v.base_permissions or [])}


def test_every_registered_export_is_compared(app):
    assert set(_registered(app)) == set(EXPORTING)
    assert len(EXPORTING) >= 20


@pytest.fixture
def demo_logins(app, demo_data):
    import re

    from app.models import Account

    with app.app_context():  # past each first login (its own tests cover it)
        db.session.query(Account).update({"must_change_password": False})
        db.session.query(Firm).update({"contact_name": "王会计", "contact_phone": "13800001111"})
        _rows_the_demo_lacks()
        db.session.commit()
    return dict(re.findall(r"^\w+\s+(\S+)\s+(\S+)", demo_data, flags=re.M))


def _rows_the_demo_lacks():
    """Rows for the lists `demo seed` leaves empty, so that they too compare rows: job runs
    (one finished, one running), a mail, a pending transfer, a signed and an anonymous
    suggestion."""
    import json

    from app.models import JobRun, OutboxMail, Person, PersonTransfer, Suggestion

    minute = dt.timedelta(minutes=1)
    db.session.add_all([
        JobRun(job="training_class_reminders", trigger="schedule", as_of=NOW, started_at=NOW,
               finished_at=NOW + minute, outcome="成功", counts=json.dumps({"sent": 3})),
        JobRun(job="training_class_reminders", trigger="cli", as_of=NOW + minute, started_at=NOW + minute),
        OutboxMail(to_addr="zhang@example.com", subject="学时提醒", body="您的学时不足",
                   status=OutboxStatus.FAILED, attempts=3, next_attempt_at=NOW, created_at=NOW,
                   last_error="连接被拒绝（错误码 421）"),
        Suggestion(content="希望增加夜间课程\n周末也行", user_id=None, created_at=NOW),
    ])
    person = db.session.query(Person).filter(Person.firm_id.isnot(None)).order_by(Person.id) \
        .first()
    other = db.session.query(Firm).filter(Firm.id != person.firm_id).order_by(Firm.id).first()
    db.session.add(PersonTransfer(person_id=person.id, from_firm_id=person.firm_id,
                                  to_firm_id=other.id, position="项目经理",
                                  requested_at=NOW, expires_at=NOW + 30 * 24 * 60 * minute,
                                  status=TransferStatus.PENDING))


def _typed(view, column) -> str | None:
    """What a model column holds: 'number', 'time' or None (text, relations, properties, or a
    column the list shows through its own formatter, such as 提交人 for a user id)."""
    from app.views.core.scoping import _blank_if_none

    model = view.datamodel
    if "." in column or column not in model.get_columns_list() or model.is_relation(column):
        return None
    if view.formatters_columns.get(column) not in (None, _blank_if_none, clock.display):
        if not (model.is_date(column) or model.is_datetime(column)):
            return None
    if model.is_integer(column) or model.is_numeric(column) or model.is_float(column):
        return "number"
    if model.is_date(column) or model.is_datetime(column):
        return "time"
    return None


@pytest.mark.parametrize("login", ["staff", "P11010001"])
@pytest.mark.parametrize("name", EXPORTING)
def test_each_model_list_exports_what_its_screen_shows(app, make_client, demo_logins, name,
                                                       login):
    """The list's first page (default order) against its 导出 Excel: the screen's column labels
    head the workbook (an `export_columns` view: the labels both have), each screen row is a
    workbook row cell for cell, numbers are number cells and times date cells in Beijing time."""
    view = _registered(app)[name]
    client = make_client()
    assert client.login(login, demo_logins[login]).status_code == 302
    base = f"/{view.route_base.strip('/')}"
    page = client.get(f"{base}/list/")
    export = client.get(f"{base}/export/xlsx/")
    if page.status_code != 200:  # a list this role may not open: nor its export
        assert login != "staff", (name, page.status_code)
        assert export.status_code != 200, name
        return
    assert export.status_code == 200, name
    list_labels = [str(view.label_columns.get(c, c)) for c in view.list_columns]
    rows = list_table(page.get_data(as_text=True), list_labels)
    header, body = rows[0], rows[1:]
    if len(body) == 1 and len(body[0]) <= 1:
        body = []  # FAB's 「没有记录」 row
    book_header, book_rows = workbook_table(export.data)
    labels = [h for h in header if h and h != "操作"]
    if view.export_columns is None:
        assert book_header == labels, name
    linked = _links(app, view)
    shared = [h for h in labels if h in book_header and h not in linked]
    assert shared and len(shared) >= min(len(labels), 2), (name, labels, book_header)

    def screen_row(row):
        return tuple(row[header.index(h)] or "" for h in shared)

    def book_row(row):  # as a browser shows it: runs of white space (a new line) are one space
        return tuple(" ".join((shown(row[book_header.index(h)]) or "").split()) for h in shared)

    book = [book_row(r) for r in book_rows]
    assert len(book) >= len(body), name
    if login == "staff":  # every list holds rows for staff: something is compared
        assert body, name
    for row in body:  # the first page is in the workbook (ties in the order: anywhere)
        assert screen_row(row) in book, (name, login, shared, screen_row(row), book[:len(body)])
    columns = view._export_columns()
    for h in shared:
        kind = _typed(view, columns[book_header.index(h)])
        cells = [r[book_header.index(h)].value for r in book_rows]
        cells = [c for c in cells if c not in (None, "")]
        if kind == "number":
            assert all(isinstance(c, (int, float)) for c in cells), (name, h, cells[:3])
        elif kind == "time":
            assert all(isinstance(c, dt.datetime) for c in cells), (name, h, cells[:3])
