"""The streamed workbook of the list exports (app/workflows/core/xlsx_stream.py) holds the
cells XlsxWriter (sheets.py) writes for the same values: read back by openpyxl and by
calamine (the app's own reader), value by value and format by format."""
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
from python_calamine import CalamineWorkbook

from app.workflows.core.sheets import Percent, XlsxWriter
from app.workflows.core.xlsx_stream import xlsx_chunks
from tests.helpers import NOW

MOMENT = dt.datetime(2026, 3, 4, 1, 2, 3, tzinfo=dt.timezone.utc)  # 09:02:03 in Beijing
ROWS = [
    ["姓名", "证书编号", "学时", "零", "通过率", "通过时间", "日期", "是否", "公式", "空"],
    ["张三", "000123", Decimal("4.0"), Decimal("0"), Percent(0.125), MOMENT,
     dt.date(2026, 1, 2), True, "=1+1", None],
    ["  前后空格 ", "a&b<c>\"'", Decimal("46.25"), 7, 2.5, dt.datetime(2026, 1, 1, 8, 0),
     dt.date(2000, 2, 29), False, "@SUM(A1)", ""],
    ["控制\x01字符", "", Decimal("1E+1"), -3, 0.0, None, None, None, "+1", "x"],
]


def _streamed(rows, title="导出"):
    return b"".join(xlsx_chunks(iter(rows), NOW, title, every=2))


def _openpyxl_written(rows, title="导出"):
    writer = XlsxWriter()
    sheet = writer.sheet(title)
    for row in rows:
        writer.append(sheet, row)
    return writer.to_bytes()


def _cells(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return sheet.title, [[(c.value if c.value != "" else None, c.number_format, c.data_type)
                          for c in row] for row in sheet.iter_rows()]


def test_streamed_workbook_holds_what_openpyxl_wrote():
    safe = [row[:] for row in ROWS]
    safe[3][0] = "控制字符"  # openpyxl refuses a control character; the stream drops it
    title, streamed = _cells(_streamed(ROWS, "学员学时明细"))
    assert title == "学员学时明细"
    _, written = _cells(_openpyxl_written(safe))
    width = max(len(r) for r in written)
    pad = lambda rows: [r + [(None, "General", "n")] * (width - len(r)) for r in rows]  # noqa: E731
    normal = lambda rows: [[(v, f if v is not None else "General", t if v is not None else "n")  # noqa: E731
                            for v, f, t in r] for r in pad(rows)]
    assert normal(streamed) == normal(written)
    # the screen's words: Beijing time, text kept as text (leading zeros, formulas)
    row = streamed[1]
    assert row[1] == ("000123", "General", "s")
    assert row[5] == (dt.datetime(2026, 3, 4, 9, 2, 3), "yyyy-mm-dd hh:mm:ss", "d")
    assert row[2][:2] == (4.0, "0.0") and row[3][:2] == (0, "0") and row[4][:2] == (0.125, "0.0%")
    assert row[8] == ("=1+1", "General", "s")


def test_streamed_workbook_reads_in_calamine_and_has_no_formula():
    data = _streamed(ROWS)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "姓名" and rows[1][1] == "000123" and rows[1][8] == "=1+1"
    assert rows[2][0] == "  前后空格 " and rows[2][1] == "a&b<c>\"'" and rows[3][0] == "控制字符"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        sheet = package.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in sheet and b"<f " not in sheet


def test_first_bytes_leave_before_the_rows_are_read():
    def rows():
        yield ["姓名"]
        raise AssertionError("read before the package's first bytes were handed out")

    chunks = xlsx_chunks(rows(), NOW)
    first = next(chunks)
    assert first.startswith(b"PK")  # the zip's first entry, before any row


def test_the_workbook_is_created_at_the_time_it_is_given():
    """The workbook's 创建时间 is the `now` the export passes (UTC in docProps), not the
    machine's clock, so an export can be checked at any date."""
    written = openpyxl.load_workbook(io.BytesIO(_streamed(ROWS)))
    expected = NOW.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    assert written.properties.created == expected
    assert written.properties.modified == expected
