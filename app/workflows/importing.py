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
import unicodedata
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.datetime import from_excel

from app.workflows.errors import ValidationError
from app.workflows.identifiers import clean_name, validate_id_number, validate_mobile

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
    kind: str = "text"  # text | digits | id_number | mobile | choice | date | number
    choices: tuple = ()
    default: str | None = None
    max_length: int | None = None


@dataclass
class Problem:
    row: int | None
    column: str | None
    message: str

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


# --- reading ---------------------------------------------------------------------
def detect_format(filename: str, data: bytes) -> str:
    """'xlsx' or 'csv', judged by content (a renamed file is caught), else FileProblem."""
    name = filename or "上传文件"
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
        return "csv"
    raise FileProblem(f"文件“{name}”的内容不是 Excel 工作簿（可能只是改了扩展名），请上传 .xlsx 文件")


def _xlsx_rows(data: bytes, name: str):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a broken package
        raise FileProblem(f"文件“{name}”已损坏，无法作为 Excel 读取") from None
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows():
            yield [(c.value, getattr(c, "data_type", None)) for c in cells]
    finally:
        workbook.close()


def _csv_rows(data: bytes, name: str):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(f"文件“{name}”的编码无法识别，请保存为 UTF-8 或 GBK 编码的 CSV，或使用 .xlsx")
    for record in csv.reader(io.StringIO(text)):
        yield [(value, "s") for value in record]


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
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, (int, float)):
            try:
                return from_excel(value).date(), None
            except (ValueError, OverflowError):
                return None, f"“{column.header}”不是有效日期"
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if not text:
            return None, None
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
            try:
                return dt.datetime.strptime(text, fmt).date(), None
            except ValueError:
                continue
        return None, f"“{column.header}”不是有效日期（应为 2025-01-31 格式）"
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
    if column.kind == "choice" and text not in column.choices:
        return None, f"“{column.header}”只能填写：{'、'.join(column.choices)}"
    if column.max_length and len(text) > column.max_length:
        return None, f"“{column.header}”过长（最多{column.max_length}个字）"
    return text, None


def raw_text(value) -> str:
    """A cell as the user typed it, for the error report."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


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
        raise FileProblem(f"文件“{filename}”的第一个工作表为空，请使用模板填写（第1行为表头）")
    headers = [_header_text(v) for v, _ in header]
    positions = {}
    for index, text in enumerate(headers):
        if text and text not in positions:
            positions[text] = index
    missing = [h for h in importer.headers if h not in positions]
    unknown = [h for h in headers if h and h not in importer.headers]
    if missing:
        detail = f"缺少列：{'、'.join(missing)}"
        if unknown:
            detail += f"；无法识别的列：{'、'.join(unknown)}"
        raise FileProblem(f"表头不符合模板（第1行），{detail}。模板表头为：{'、'.join(importer.headers)}")
    rows = []
    for offset, cells in enumerate(reader, start=2):
        if _is_blank(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise FileProblem(f"文件“{filename}”超过{MAX_ROWS:,}行，请拆分后再上传")
        row = Row(number=offset, raw=[raw_text(cells[positions[h]][0])
                                      if positions[h] < len(cells) else ""
                                      for h in importer.headers])
        for column in importer.columns:
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
        rows.append(row)
        if progress and len(rows) % 1000 == 0:
            progress(len(rows))
    if not rows:
        raise FileProblem(f"文件“{filename}”没有数据行（第2行起填写名单）")
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


# --- the files users download ---------------------------------------------------------
def _workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_columns(sheet, count: int, rows: int = 2000) -> None:
    # Cells formatted as text keep IDs and mobiles from being turned into numbers.
    for column in range(1, count + 1):
        for row in range(2, rows + 2):
            sheet.cell(row=row, column=column).number_format = "@"


def template(importer: Importer) -> bytes:
    """The .xlsx template: the header row and one example row, cells formatted as text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = importer.sheet_title
    sheet.append(importer.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    _text_columns(sheet, len(importer.headers), rows=500)
    for index, value in enumerate(importer.example, start=1):
        sheet.cell(row=2, column=index, value=value).number_format = "@"
    for index in range(len(importer.headers)):
        sheet.column_dimensions[chr(ord("A") + index)].width = 22
    return _workbook_bytes(workbook)


def error_report(importer: Importer, rows: list[dict]) -> bytes:
    """The uploaded rows plus a 错误说明 column: fix the marked rows and upload again.

    `rows` are stored preview rows: {"row": n, "raw": [...], "problems": ["…", …]}.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(importer.sheet_title)
    sheet.append(importer.headers + [ERROR_COLUMN])
    for row in rows:
        sheet.append([*row["raw"], "；".join(row["problems"])])
    return _workbook_bytes(workbook)


def estimate_rows(filename: str, data: bytes) -> int:
    """Roughly how many data rows a file holds, for a progress bar (0 if unknown)."""
    try:
        fmt = detect_format(filename, data)
    except FileProblem:
        return 0
    if fmt == "csv":
        return max(data.count(b"\n") - 1, 0)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        rows = (workbook.worksheets[0].max_row or 1) - 1
        workbook.close()
        return max(rows, 0)
    except Exception:  # noqa: BLE001 — parse() reports a broken file properly
        return 0
