"""Builders for the in-house training tests: an approved qualification, classes, entries."""
import datetime as dt

from app.extensions import db
from app.models import InhouseClass, InhouseQualification, ReviewStatus
from app.workflows.core import files
from app.workflows.inhouse import qualification

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    from app.views.inhouse.common import _application_form_docx

    return _application_form_docx()


def xlsx_bytes() -> bytes:
    from app.workflows.core.sheets import simple_workbook

    return simple_workbook("计划", ["月份", "课程"], [["4月", "审计准则"]])


def uploads():
    return {qualification.SCAN.name: files.Upload.from_bytes("申请表盖章版.pdf", PDF),
            qualification.WORD.name: files.Upload.from_bytes("申请表.docx", docx_bytes()),
            qualification.POLICY.name: files.Upload.from_bytes("培训制度.pdf", PDF),
            qualification.PLAN.name: files.Upload.from_bytes("培训计划.xlsx", xlsx_bytes())}


def qualified(firm_id: int, year: int, now) -> int:
    """An approved qualification, straight into the table (the review is tested elsewhere)."""
    row = InhouseQualification(firm_id=firm_id, year=year, status=ReviewStatus.APPROVED,
                               submitted_at=now)
    db.session.add(row)
    db.session.commit()
    return row.id


def a_class(firm_id, now, *, name="金融课程2026一期", start=dt.date(2026, 12, 10), days=2,
            hours="16.0", category="专业课", status=ReviewStatus.PENDING) -> int:
    item = InhouseClass(firm_id=firm_id, year=start.year, name=name, category=category,
                        hours=hours, start_date=start, end_date=start + dt.timedelta(days=days - 1),
                        address="公司会议室3021", leader="苗迈", contact="15019982611",
                        status=status, created_at=now)
    db.session.add(item)
    db.session.commit()
    return item.id
