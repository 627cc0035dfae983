"""The one writer of every workbook and CSV the app generates: list exports, import
templates, error reports, the CICPA workbooks. (A list export's .xlsx is streamed by
xlsx_stream.py, which writes the same cells by the rules below.)

Nothing a user typed ever becomes a live formula (CSV/formula injection): in .xlsx every
text cell is written as a string cell (an inline string is never evaluated, and the
value stays exactly what was typed, so a corrected error report uploads back unchanged);
in .csv a text starting with = + - @ tab or CR gets a leading apostrophe, the usual
defence for a format that has no cell types.

Values keep their type (an export says what its screen says, numbers as numbers): a Decimal
(学时) is a number cell shown with its places (4.0), a `Percent` a number shown as 12.5%, a
time a date-time cell in Beijing time (2025-08-05 12:22:52), a date a date cell; the CSV
writes the same values as the screen shows them.
"""
import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal

from app import clock

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Percent(float):
    """A ratio (0.125) shown as a percentage (12.5%) — a number in the workbook."""

    def __str__(self) -> str:
        return f"{100 * float(self):.1f}%"


DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"


def number_format(value) -> str | None:
    """The Excel number format that shows `value` as the screen does (None: the default)."""
    if isinstance(value, Percent):
        return "0.0%"
    if isinstance(value, Decimal):
        places = -value.as_tuple().exponent if value.is_finite() else 0
        return "0." + "0" * places if isinstance(places, int) and places > 0 else "0"
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    return None


def cell_value(value):
    """A value as a workbook cell holds it: times in Beijing (Excel has no zones), booleans
    as 是/否; numbers, dates and text as they are."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return clock.to_local(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def text_of(value):
    """A value as the screen shows it (CSV): Beijing time to the second, ISO dates, 4.0."""
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return clock.display(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (Percent, Decimal)):
        return str(value)
    return value


def defuse(value):
    """CSV: text that a spreadsheet would run as a formula is kept as text."""
    value = text_of(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class XlsxWriter:
    """A write-only workbook (one row in memory at a time) whose text is never a formula.

        writer = XlsxWriter()
        sheet = writer.sheet("名单", widths=[12, 20])
        writer.append(sheet, ["姓名", "手机号"], bold=True)
        data = writer.to_bytes()        # or writer.to_file() for a large one
    """

    def __init__(self):
        from openpyxl import Workbook

        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, widths=None):
        from openpyxl.utils import get_column_letter

        sheet = self.workbook.create_sheet(title=title[:31])
        for index, width in enumerate(widths or [], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        return sheet

    def cell(self, sheet, value, *, bold=False, text_format=False):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        shown = number_format(value)
        value = cell_value(value)
        if isinstance(value, Percent):
            value = float(value)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text
        if bold:
            cell.font = Font(bold=True)
        if shown:
            cell.number_format = shown
        elif text_format and (value is None or isinstance(value, str)):
            cell.number_format = "@"  # typed-in IDs and mobiles stay text in Excel
        return cell

    def append(self, sheet, values, *, bold=False, text_format=False) -> None:
        sheet.append([self.cell(sheet, v, bold=bold, text_format=text_format) for v in values])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()

    def to_file(self):
        """The workbook spooled to a temporary file (rewound), for streaming a big one."""
        spool = tempfile.TemporaryFile()
        self.workbook.save(spool)
        spool.seek(0)
        return spool


def _csv_cell(value):
    """A cell of the CSV: a plain text as it is (the common case, checked inline), a time
    in Beijing to the second, everything else by `defuse`."""
    if type(value) is dt.datetime and value.tzinfo is not None:
        # = clock.display (strftime to the second), without strftime's cost
        return clock.to_local(value).replace(tzinfo=None).isoformat(" ", "seconds")
    return defuse(value)


def csv_chunks(rows, every: int = 500):
    """CSV text for Excel (UTF-8 with BOM) in chunks, every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    batch, prefixes = [], FORMULA_PREFIXES
    for number, row in enumerate(rows):
        batch.append([v if type(v) is str and not v.startswith(prefixes) else _csv_cell(v)
                      for v in row])
        if number % every == 0:
            writer.writerows(batch)
            batch.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(batch)
    yield buffer.getvalue()


def simple_workbook(title: str, header, rows, widths=None, text_rows: int = 0) -> bytes:
    """One sheet: a bold header, then rows; `text_rows` blank rows formatted as text
    follow (a template's empty lines keep IDs from turning into numbers)."""
    writer = XlsxWriter()
    sheet = writer.sheet(title, widths=widths)
    writer.append(sheet, header, bold=True)
    for row in rows:
        writer.append(sheet, row, text_format=True)
    for _ in range(text_rows):
        writer.append(sheet, [None] * len(header), text_format=True)
    return writer.to_bytes()
