"""A workbook streamed as it is written: the list exports' .xlsx (send_table).

openpyxl's write-only mode holds one row at a time but spools the whole sheet to disk and
zips it only when saved, so a 100,000-row export spent ~28 s before its first byte (issue
28). Here the package is written straight into the response: the small parts first (their
content does not depend on the rows: the styles are a fixed table), then the sheet, deflated
as its rows arrive, the zip's central directory last. The first bytes leave at once, memory
holds one batch of rows, and the sheet's XML is written by plain string formatting — about
ten times openpyxl's speed.

The cells are those XlsxWriter (sheets.py) writes, by the same rules: `cell_value` and
`number_format` decide the value and its format; every text is a string cell (inline: never
evaluated, never a formula); numbers, Decimals (with their places: 4.0), percentages and
times are typed cells shown as the screen shows them; nothing (None, '') is an empty cell.
"""
import datetime as dt
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from app.workflows.core.sheets import DATE_FORMAT, DATETIME_FORMAT, Percent, cell_value

MAX_PLACES = 10  # a Decimal's places that get their own format (beyond: Excel's General)
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
# characters XML 1.0 forbids (openpyxl refuses them); dropped from text
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# a text that needs more than pasting in: markup, a forbidden character, edge spaces
_CARE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|^\s|\s$")

# cellXfs: 0 General, 1 date-time, 2 date, 3 0.0%, then 0 / 0.0 / 0.00 … for Decimal places
_FORMATS = [DATETIME_FORMAT, DATE_FORMAT, "0.0%"] + [
    "0." + "0" * p if p else "0" for p in range(MAX_PLACES + 1)]
_STYLE_DATETIME, _STYLE_DATE, _STYLE_PERCENT, _STYLE_PLACES = 1, 2, 3, 4

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
    'core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.extended-properties+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/extended-properties" Target="docProps/app.xml"/>'
    '</Relationships>')
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>Microsoft Excel</Application></Properties>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    '</Relationships>')


def _styles() -> str:
    formats = "".join(f'<numFmt numFmtId="{164 + n}" formatCode="{escape(code)}"/>'
                      for n, code in enumerate(_FORMATS))
    xfs = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' + "".join(
        f'<xf numFmtId="{164 + n}" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>' for n in range(len(_FORMATS)))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<numFmts count="{len(_FORMATS)}">{formats}</numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
        '<scheme val="minor"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(_FORMATS) + 1}">{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>')


def _workbook(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets>'
        '</workbook>')


def _core(now: dt.datetime) -> str:
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        '</cp:coreProperties>')


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(ref: str, value: str) -> str:
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'


def _cell(ref: str, value) -> str:
    """One cell's XML ('' for an empty one), by the rules of XlsxWriter.cell."""
    kind = type(value)
    if kind is str:
        return _text(ref, value) if value else ""
    if value is None:
        return ""
    value = cell_value(value)  # Beijing time, 是/否
    if isinstance(value, str):
        return _text(ref, value) if value else ""
    if isinstance(value, Percent):
        return f'<c r="{ref}" s="{_STYLE_PERCENT}"><v>{float(value)!r}</v></c>'
    if isinstance(value, Decimal):
        if not value.is_finite():
            return _text(ref, str(value))
        places = -value.as_tuple().exponent
        style = _STYLE_PLACES + places if 0 <= places <= MAX_PLACES else (
            _STYLE_PLACES if places < 0 else 0)
        shown = str(value)  # as openpyxl writes it: 4.0 stays 4.0, 0 an integer
        return f'<c r="{ref}" s="{style}"><v>{shown if "E" not in shown else repr(float(value))}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>' if value == value else _text(ref, "NaN")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        delta = value - _EPOCH
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{(value - _EPOCH_DATE).days}</v></c>'
    return _text(ref, str(value))


class _Sink:
    """A write-only, unseekable file: zipfile appends its bytes, the generator takes them."""

    def __init__(self):
        self.parts = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_chunks(rows, now: dt.datetime, title: str = "导出", *, every: int = 500,
                level: int = 1):
    """The bytes of a one-sheet workbook holding `rows` (lists of values, the header first),
    created at `now` (the workbook's 创建时间), yielded as they are written (every `every`
    rows). `level`: zlib's (1: fastest; the sheet's XML is repetitive, so 1 costs little
    size)."""
    sink = _Sink()
    package = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level)
    for name, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                       ("docProps/app.xml", _APP), ("docProps/core.xml", _core(now)),
                       ("xl/workbook.xml", _workbook(title[:31])),
                       ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                       ("xl/styles.xml", _styles())):
        package.writestr(name, text)
    yield sink.take()
    columns = []
    # no zip64: Excel's sheet limit (1,048,576 rows) stays far below a 4 GB entry, and a
    # plain entry with a data descriptor is what every reader opens
    with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
        sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<sheetData>')
        batch, care = [], _CARE.search
        for number, row in enumerate(rows, start=1):
            while len(columns) < len(row):
                columns.append(_column(len(columns)))
            n = str(number)
            cells = [f'<row r="{n}">']
            for column, value in zip(columns, row):
                # the common case inline (a plain text); everything else by _cell's rules
                if type(value) is str and value and not care(value):
                    cells.append(f'<c r="{column}{n}" t="inlineStr"><is><t>{value}</t></is></c>')
                else:
                    cells.append(_cell(column + n, value))
            cells.append("</row>")
            batch.append("".join(cells))
            if number % every == 0:
                sheet.write("".join(batch).encode())
                batch.clear()
                data = sink.take()
                if data:
                    yield data
        sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
    package.close()
    yield sink.take()
