"""The one writer of every workbook and CSV the app generates: list exports, import
templates, error reports, the CICPA workbooks.

Nothing a user typed ever becomes a live formula (CSV/formula injection): in .xlsx every
text cell is written as a string cell (an inline string is never evaluated, and the
value stays exactly what was typed, so a corrected error report uploads back unchanged);
in .csv a text starting with = + - @ tab or CR gets a leading apostrophe, the usual
defence for a format that has no cell types.
"""
import csv
import io
import tempfile

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """CSV: text that a spreadsheet would run as a formula is kept as text."""
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

        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text
        if bold:
            cell.font = Font(bold=True)
        if text_format:
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


def csv_chunks(rows, every: int = 500):
    """CSV text for Excel (UTF-8 with BOM) in chunks, every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for number, row in enumerate(rows):
        writer.writerow([defuse(v) for v in row])
        if number % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
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
