"""Build spreadsheet files for import tests."""
import io

from openpyxl import Workbook

STAFF_HEADERS = ["姓名", "手机号", "身份证号", "类型", "职位"]


def xlsx(rows, headers=STAFF_HEADERS, *, formulas=()):
    """rows: lists of cell values (None = empty). formulas: (row, col, '=…') to write."""
    workbook = Workbook()
    sheet = workbook.active
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    for row, col, formula in formulas:
        sheet.cell(row=row, column=col, value=formula)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=STAFF_HEADERS, encoding="utf-8-sig"):
    lines = [",".join(headers)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
