"""The Excel import framework every importer reuses (staff roster, in-house rosters, …).

parse → normalise → validate per row and across rows → preview (persisted with a
token by the importer) → commit atomically. Importers declare their columns and rules
as data (`Importer`, `Column`). Cells holding IDs, mobiles and certificate numbers
are read as text, never through float; Excel serial dates are converted.

Every problem names the Excel row (header = row 1), the column by its header text,
and says what is wrong in Chinese.
"""
import csv
import datetime as dt
import hashlib
import io
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation


from app.workflows.core import archives, sheets
from app.workflows.core.errors import ValidationError
from app.workflows.core.identifiers import clean_name, validate_id_number, validate_mobile

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
ERROR_COLUMN = "错误说明"
SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DIGIT_KINDS = {"digits", "id_number", "mobile"}


class FileProblem(ValidationError):
    """The whole file is refused (format, size, headers…); nothing was read into the data."""


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    kind: str = "text"  # text | digits | id_number | mobile | choice | date | datetime | decimal
    choices: tuple | dict = ()  # a dict: a coded status's LABELS (the file holds the words)
    default: str | None = None
    max_length: int | None = None
    places: int = 1  # decimal: at most this many decimal places (学时: one)
    minimum: float | None = None  # decimal: smallest value allowed (e.g. 0 for hours)


@dataclass
class Problem:
    row: int | None
    column: str | None
    message: str

    def __post_init__(self):
        # a message may quote what was typed: keep it short whatever was typed
        if len(self.message) > MAX_MESSAGE:
            self.message = self.message[:MAX_MESSAGE - 1] + "…"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Row:
    number: int  # as Excel shows it
    raw: list
    values: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Importer:
    """An import kind, declared as data."""

    kind: str
    title: str
    columns: tuple
    unique_keys: tuple = ()
    example: tuple = ()
    sheet_title: str = "名单"

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass
class Parsed:
    rows: list
    file_hash: str

    @property
    def problems(self) -> list:
        return [p for r in self.rows for p in r.problems]

    @property
    def valid_rows(self) -> list:
        return [r for r in self.rows if r.ok]


# --- reading, bounded --------------------------------------------------------------------
# A small upload can unpack to a huge spreadsheet (blank rows to row 1,048,576, a 60 MB
# header row, 100 MB of shared strings). Before anything parses it, the zip directory
# and a streaming scan of the worksheets are checked against these limits, so a hostile
# file is refused within seconds, in Chinese, naming the limit.
MAX_COLUMNS = 100
MAX_ROWS_READ = MAX_ROWS + 10_000  # rows read, blank ones included
MAX_SHEET_XML = 40 * 1024 * 1024  # one worksheet, uncompressed
MAX_SHARED_STRINGS = 16 * 1024 * 1024
MAX_UNCOMPRESSED = 64 * 1024 * 1024  # the whole package, uncompressed
MAX_ZIP_ENTRIES = 500
PARSE_SECONDS = 60  # reading and checking, at most
MAX_MESSAGE = 300  # characters of one problem's message
MAX_RAW_CELL = 2000  # characters of a cell kept for the error report
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|f)[\s>/]")
_SCAN_CHUNK = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)}MB"


def _check_package(archive: zipfile.ZipFile, name: str) -> list[str]:
    """The zip directory within the limits; returns the worksheet entries."""
    entries = archive.infolist()
    problem = archives.declared_problem(archive, MAX_UNCOMPRESSED, MAX_ZIP_ENTRIES)
    if problem == archives.TOO_MANY_PARTS:
        raise FileProblem(f"文件“{name}”包含的部件过多（超过{MAX_ZIP_ENTRIES}个），不像是名单表格，"
                          f"请使用下载的模板")
    if problem == archives.TOO_LARGE:
        raise FileProblem(f"文件“{name}”解压后超过{_mb(MAX_UNCOMPRESSED)}（可能含有大量空行或"
                          f"格式），请删除多余的行和列，或复制数据到新的模板后再上传")
    sheets_found = []
    for entry in entries:
        lower = entry.filename.lower()
        if lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
            if entry.file_size > MAX_SHEET_XML:
                raise FileProblem(f"文件“{name}”的工作表解压后超过{_mb(MAX_SHEET_XML)}（可能含有"
                                  f"大量空行、空列或格式），请复制数据到新的模板后再上传")
            sheets_found.append(entry.filename)
        elif lower == "xl/sharedstrings.xml" and entry.file_size > MAX_SHARED_STRINGS:
            raise FileProblem(f"文件“{name}”的文本内容解压后超过{_mb(MAX_SHARED_STRINGS)}，"
                              f"请删除无关内容后再上传")
    return sheets_found


@dataclass
class Scan:
    rows: int = 0  # rows read, blank ones included
    formulas: bool = False  # some cell holds a formula (read with openpyxl to name it)


def _scan_sheet(archive: zipfile.ZipFile, entry: str, name: str) -> Scan:
    """Count rows (blank ones included) and cells per row without parsing the XML.

    zipfile never yields more than the size the directory declares, so the limits
    above hold even for a package that lies about its sizes.
    """
    rows = cells = 0
    formulas = False
    carry = b""
    with archive.open(entry) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            if not chunk:
                break
            data = carry + chunk
            cut = data.rfind(b"<")
            if cut < 0 or len(data) - cut > 1024:
                cut = len(data)
            for match in _TAG.finditer(data, 0, cut):
                tag = match.group(1)
                if tag == b"f":
                    formulas = True
                elif tag == b"row":
                    rows += 1
                    cells = 0
                    if rows > MAX_ROWS_READ:
                        raise FileProblem(
                            f"文件“{name}”超过{MAX_ROWS_READ:,}行（含空行），请删除多余的空行，"
                            f"或拆分后再上传")
                else:
                    cells += 1
                    if cells > MAX_COLUMNS:
                        raise FileProblem(
                            f"文件“{name}”第{max(rows, 1)}行超过{MAX_COLUMNS}列，请删除多余的列，"
                            f"或复制数据到新的模板后再上传")
            carry = data[cut:]
    return Scan(rows, formulas)


def inspect_xlsx(data: bytes, name: str) -> Scan:
    """Check an .xlsx against every limit before it is parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            worksheets = _check_package(archive, name)
            scans = [_scan_sheet(archive, entry, name) for entry in worksheets]
            return Scan(max((s.rows for s in scans), default=0), any(s.formulas for s in scans))
    except zipfile.BadZipFile:
        raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError):
        raise FileProblem(f"文件“{name}”已损坏或加密，无法作为 Excel 读取") from None


def display_name(filename: str | None) -> str:
    """A file's name as messages show it: its last part, at most 60 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "上传文件"
    return name if len(name) <= 60 else name[:40] + "…" + name[-15:]


def detect_format(filename: str, data: bytes) -> str:
    """'xlsx' or 'csv', judged by content (a renamed file is caught), else FileProblem."""
    name = display_name(filename)
    if not data:
        raise FileProblem(f"文件“{name}”是空文件")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"文件“{name}”超过10MB，请拆分或删除无关内容后再上传")
    if data.startswith(OLE2_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FileProblem(f"文件“{name}”设置了打开密码，请取消密码后再上传")
        raise FileProblem(f"文件“{name}”是旧版 Excel（.xls）格式，请在 Excel 中另存为 .xlsx 后上传")
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
        if "xl/workbook.xml" not in names:
            raise FileProblem(f"文件“{name}”不是 Excel 工作簿（.xlsx），请使用下载的模板")
        return "xlsx"
    if name.lower().endswith(".csv"):
        if b"\x00" in data:
            raise FileProblem(f"文件“{name}”不是文本文件（含有二进制内容），请上传 .xlsx 或"
                              f"另存为 CSV（UTF-8）")
        return "csv"
    raise FileProblem(f"文件“{name}”的内容不是 Excel 工作簿（可能只是改了扩展名），请上传 .xlsx 文件")


def _xlsx_rows(data: bytes, name: str):
    """(value, data type) per cell, row by row. A sheet without formulas is read with
    python-calamine (a maintained Rust reader, several times faster than openpyxl, same
    values: dates come back as datetimes, blanks as None); one with formulas with openpyxl,
    which says which cell holds one."""
    name = display_name(name)
    if not inspect_xlsx(data, name).formulas:
        yield from _calamine_rows(data, name)
        return
    from openpyxl import load_workbook  # only for sheets with formulas (lazy: start-up time)

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a broken package
        raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows(max_col=MAX_COLUMNS):
            yield [(c.value, getattr(c, "data_type", None)) for c in cells]
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001 — a broken sheet part
        raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
    finally:
        workbook.close()


def _calamine_value(value):
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())  # as openpyxl returns a date cell
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # openpyxl gives an int for an integral number: so do we
    return value


def _calamine_rows(data: bytes, name: str):
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 — the reader raises its own kinds for a broken package
        raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
    for cells in rows:
        yield [(_calamine_value(v), "s" if isinstance(v, str) and v else None)
               for v in cells[:MAX_COLUMNS]]


def _csv_rows(data: bytes, name: str):
    name = display_name(name)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(f"文件“{name}”的编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV，或使用 .xlsx")
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
            if number > MAX_ROWS_READ:
                raise FileProblem(f"文件“{name}”超过{MAX_ROWS_READ:,}行（含空行），请拆分后再上传")
            if len(record) > MAX_COLUMNS:
                raise FileProblem(f"文件“{name}”第{number}行超过{MAX_COLUMNS}列，请删除多余的列后再上传")
            yield [(value, "s") for value in record]
    except csv.Error:
        raise FileProblem(f"文件“{name}”不是有效的 CSV（某个单元格过长或引号不成对），"
                          f"请用 Excel 另存为 .xlsx 后上传") from None


def _header_text(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lstrip("*").strip()


def _is_blank(cells) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v, _ in cells)


# --- normalising one cell ----------------------------------------------------------
def _precision_lost(column: Column) -> str:
    return (f"“{column.header}”被 Excel 存成了数字（如 1.41121E+17），精度已丢失，无法还原；"
            f"请把该列设为“文本”格式后重新填写")


def cell_value(column: Column, value, data_type=None):
    """(normalised value or None, problem message or None) for one cell."""
    if data_type == "f" or (isinstance(value, str) and value.startswith("=") and data_type == "f"):
        return None, f"“{column.header}”是公式，请复制后“粘贴为数值”再上传"
    if value is None:
        return None, None
    if isinstance(value, bool):
        value = "是" if value else "否"
    if column.kind == "decimal":
        return _decimal_value(column, value)
    if column.kind in ("date", "datetime"):
        moment, problem = _moment_value(column, value)
        if moment is None or column.kind == "datetime":
            return moment, problem
        return moment.date(), None
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    if isinstance(value, float):
        if column.kind in DIGIT_KINDS:
            if not value.is_integer() or abs(value) >= 1e15:
                return None, _precision_lost(column)
            value = str(int(value))
        else:
            value = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, int):
        if column.kind in DIGIT_KINDS and abs(value) >= 10**15:
            return None, _precision_lost(column)
        value = str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if column.kind in DIGIT_KINDS:
        text = text.replace(" ", "")
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        if SCIENTIFIC_RE.match(text):
            return None, _precision_lost(column)
    else:
        text = clean_name(text)
    if not text:
        return None, None
    try:
        if column.kind == "id_number":
            return validate_id_number(text, column.header), None
        if column.kind == "mobile":
            return validate_mobile(text, column.header), None
    except ValidationError as error:
        return None, error.message
    if column.kind == "digits" and not text.isdigit():
        return None, f"“{column.header}”只能包含数字"
    if column.kind == "choice" and isinstance(column.choices, dict):
        # a coded status (code → words): the file holds the words (or the code)
        codes = {words: code for code, words in column.choices.items()}
        if text not in codes and text not in column.choices:
            return None, f"“{column.header}”只能填写：{'、'.join(column.choices.values())}"
        return codes.get(text, text), None
    if column.kind == "choice" and text not in column.choices:
        return None, f"“{column.header}”只能填写：{'、'.join(column.choices)}"
    if column.max_length and len(text) > column.max_length:
        return None, f"“{column.header}”过长（最多{column.max_length}个字）"
    return text, None


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def _moment_value(column: Column, value):
    """(naive datetime as written — Beijing wall time — or None, problem or None) for a date
    or time cell: an Excel date or date-time cell, an Excel serial number, or text as a date
    (2025-08-05) or a date and time (the manuals' 2025-08-05 12:22:52, seed 000 §4.2). A
    `date` column keeps the day of it, a `datetime` column the whole moment."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0), None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), None
    if isinstance(value, (int, float)):
        from openpyxl.utils.datetime import from_excel

        try:
            moment = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            return None, f"“{column.header}”不是有效日期"
        if not isinstance(moment, dt.datetime):
            return None, f"“{column.header}”不是有效日期"
        return moment.replace(microsecond=0), None
    text = " ".join(unicodedata.normalize("NFKC", str(value)).replace("T", " ").split())
    if not text:
        return None, None
    for day in DATE_FORMATS:
        for fmt in (day, *(f"{day} {t}" for t in TIME_FORMATS)):
            try:
                return dt.datetime.strptime(text, fmt), None
            except ValueError:
                continue
    return None, (f"“{column.header}”不是有效日期（应为 2025-01-31 或 2025-01-31 12:22:52 "
                  f"格式）")


def _decimal_value(column: Column, value):
    """A number with at most `places` decimals, as Decimal (never float: 0.1 + 0.2)."""
    wrong = f"“{column.header}”须为数字，最多{column.places}位小数"
    if isinstance(value, bool):
        return None, wrong
    if isinstance(value, float):
        text = repr(value) if not value.is_integer() else str(int(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text:
        return None, None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, wrong
    if not number.is_finite():
        return None, wrong
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > column.places and \
            number != number.quantize(Decimal(1).scaleb(-column.places)):
        return None, wrong
    number = number.quantize(Decimal(1).scaleb(-column.places))
    if column.minimum is not None and number < Decimal(str(column.minimum)):
        return None, f"“{column.header}”不能小于{column.minimum:g}"
    if abs(number) >= Decimal(10) ** 9:
        return None, f"“{column.header}”数值过大"
    return number, None


def raw_text(value) -> str:
    """A cell as the user typed it, for the error report (a huge cell is cut short)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)[:MAX_RAW_CELL]


def _listed(names, limit: int = 10) -> str:
    """Header names for a message: at most `limit`, each at most 20 characters."""
    shown = [n if len(n) <= 20 else n[:19] + "…" for n in names[:limit]]
    more = f"等{len(names)}列" if len(names) > limit else ""
    return "、".join(shown) + more


# --- parse the whole file -----------------------------------------------------------
def parse(importer: Importer, filename: str, data: bytes, progress=None) -> Parsed:
    """Read, normalise and check every row; file-level problems raise FileProblem."""
    fmt = detect_format(filename, data)
    reader = _xlsx_rows(data, filename) if fmt == "xlsx" else _csv_rows(data, filename)
    header = None
    for cells in reader:
        header = cells
        break
    if header is None or _is_blank(header):
        raise FileProblem(f"文件“{display_name(filename)}”的第一个工作表为空，请使用模板填写（第1行为表头）")
    headers = [_header_text(v) for v, _ in header]
    positions = {}
    for index, text in enumerate(headers):
        if text and text not in positions:
            positions[text] = index
    missing = [h for h in importer.headers if h not in positions]
    unknown = [h for h in headers if h and h not in importer.headers]
    if missing:
        detail = f"缺少列：{_listed(missing)}"
        if unknown:
            detail += f"；无法识别的列：{_listed(unknown)}"
        raise FileProblem(f"表头不符合模板（第1行），{detail}。模板表头为：{'、'.join(importer.headers)}")
    rows = []
    deadline = time.monotonic() + PARSE_SECONDS
    for offset, cells in enumerate(reader, start=2):
        if offset % 500 == 0 and time.monotonic() > deadline:
            raise FileProblem(f"文件“{display_name(filename)}”处理超过{PARSE_SECONDS}秒，请拆分后再上传")
        if _is_blank(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise FileProblem(f"文件“{display_name(filename)}”超过{MAX_ROWS:,}行，请拆分后再上传")
        row = Row(number=offset, raw=[raw_text(cells[positions[h]][0])
                                      if positions[h] < len(cells) else ""
                                      for h in importer.headers])
        # a kind's read-only extras (an export's columns after the template's) are read when
        # the file has them, never required, never in the template
        extras = [c for c in getattr(importer, "extras", ()) if c.header in positions]
        for column in (*importer.columns, *extras):
            index = positions[column.header]
            value, data_type = cells[index] if index < len(cells) else (None, None)
            normalised, message = cell_value(column, value, data_type)
            if message:
                row.problems.append(Problem(offset, column.header, message))
                continue
            if normalised is None:
                if column.required:
                    row.problems.append(Problem(offset, column.header, f"“{column.header}”不能为空"))
                    continue
                normalised = column.default
            row.values[column.key] = normalised
        check_row = getattr(importer, "check_row", None)
        if check_row is not None:
            check_row(row)  # the kind's cross-field rules
        rows.append(row)
        if progress and len(rows) % 1000 == 0:
            progress(len(rows))
    if not rows:
        raise FileProblem(f"文件“{display_name(filename)}”没有数据行（第2行起填写名单）")
    _check_unique(importer, rows)
    _refuse_example(importer, rows)
    return Parsed(rows=rows, file_hash=hashlib.sha256(data).hexdigest())


def _refuse_example(importer: Importer, rows: list) -> None:
    """The template's example row left in the file would be imported as a real person."""
    if not importer.example or not importer.unique_keys:
        return
    key = importer.unique_keys[0]
    index = [c.key for c in importer.columns].index(key)
    column = importer.columns[index]
    example, _ = cell_value(column, importer.example[index])
    for row in rows:
        if example is not None and row.values.get(key) == example:
            row.problems.append(Problem(row.number, column.header,
                                        "这是模板中的示例行，请删除后再上传"))


def _check_unique(importer: Importer, rows: list) -> None:
    by_column = {c.key: c for c in importer.columns}
    for key in importer.unique_keys:
        first_seen = {}
        for row in rows:
            value = row.values.get(key)
            if value in (None, ""):
                continue
            if value in first_seen:
                header = by_column[key].header
                row.problems.append(Problem(row.number, header,
                                            f"“{header}”{value}与第{first_seen[value]}行重复"))
            else:
                first_seen[value] = row.number


# --- the files users download (through the one formula-safe writer) --------------------
EXAMPLE_SHEET = "填写说明"


def template(importer: Importer) -> bytes:
    """The .xlsx template: the header row and one example row, cells formatted as text.

    A kind with `example_apart` (the in-house rosters: a kept example row would be a real
    person reported) ships the header alone on the data sheet, and the rules, the header and
    the example on a second sheet 填写说明 that no import reads (only the first sheet is
    read), so a template uploaded unchanged holds no row at all."""
    if not getattr(importer, "example_apart", False):
        return sheets.simple_workbook(importer.sheet_title, importer.headers,
                                      [importer.example] if importer.example else [],
                                      widths=[22] * len(importer.headers), text_rows=500)
    headers = importer.headers
    writer = sheets.XlsxWriter()
    data = writer.sheet(importer.sheet_title, widths=[22] * len(headers))
    writer.append(data, headers, bold=True)
    for _ in range(500):
        writer.append(data, [None] * len(headers), text_format=True)
    notes = writer.sheet(EXAMPLE_SHEET, widths=[22] * len(headers))
    writer.append(notes, [f"填写说明（本页不会被导入，请在第一页“{importer.sheet_title}”"
                          f"第2行起填写）"], bold=True)
    for number, rule in enumerate(getattr(importer, "rules", ()) or (), start=1):
        writer.append(notes, [f"{number}. {rule}"])
    writer.append(notes, [None])
    writer.append(notes, ["示例（仅供参考）："], bold=True)
    writer.append(notes, headers, bold=True)
    if importer.example:
        writer.append(notes, list(importer.example), text_format=True)
    return writer.to_bytes()


LISTING_SHEET = "预览名单"
LISTING_HEADERS = ["分类", "行号", "姓名", "说明"]


def error_report(importer: Importer, rows: list[dict], listing: list[dict] | None = None) -> bytes:
    """The uploaded rows plus a 错误说明 column: fix the marked rows and upload again.

    `rows` are stored preview rows: {"row": n, "raw": [...], "problems": ["…", …]}.
    `listing` (the plan's, optional) adds a second sheet 预览名单: who the valid rows would
    add, update, restore or revoke. What the user typed goes back as text, never as a formula.
    """
    writer = sheets.XlsxWriter()
    sheet = writer.sheet(importer.sheet_title)
    writer.append(sheet, importer.headers + [ERROR_COLUMN], bold=True)
    for row in rows:
        writer.append(sheet, [*row["raw"], "；".join(row["problems"])], text_format=True)
    if listing:
        names = writer.sheet(LISTING_SHEET)
        writer.append(names, LISTING_HEADERS, bold=True)
        for item in listing:
            writer.append(names, [item.get("category"), item.get("row"), item.get("name"),
                                  item.get("detail")], text_format=True)
    return writer.to_bytes()


def estimate_rows(filename: str, data: bytes) -> int:
    """Roughly how many data rows a file holds, for a progress bar (0 if unknown)."""
    try:
        fmt = detect_format(filename, data)
        if fmt == "csv":
            return max(data.count(b"\n") - 1, 0)
        return max(inspect_xlsx(data, filename).rows - 1, 0)
    except FileProblem:  # parse() reports it properly
        return 0
