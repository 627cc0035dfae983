"""Imports and small helpers shared by the modules of this package."""
import datetime as dt
import io
import zipfile

from flask import request

from app.models import Acquisition, Category, EntryStatus, ReviewStatus
from app.workflows.inhouse.classes import ClassInput
from app.workflows.inhouse.common import YES
from app.workflows.inhouse.roster import EntryInput
from app.workflows.core.institute import identity

MENU = "事务所内部培训"
MENU_QUALIFICATION = "内培资格申请"
MENU_CLASSES = "培训班上报"
MENU_REPORT = "年终总结报告"
MENU_REVIEW = "内部培训审核"
MENU_REPORTS = "各所年终总结报告"  # staff: every firm's, 未提交 shown (the firm's own: MENU_REPORT)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES = (
    "培训班需在开班前至少提前一周上报，逾期则无法上报。",
    "培训通过人员名单的导入需在培训结束后15天内完成，否则无法导入。",
    "特殊上报用于上报教师授课获得学时及人员获得部分学时的情况下使用。",
)
CATEGORY_CHOICES = [(Category.PROFESSIONAL, "专业"), (Category.ETHICS, "职业道德"),
                    (Category.SIZHENG, "思政")]
# how a state is drawn beside a row — its label's colour, and whether the reviewer's reason
# (审核意见) is shown with it: a table of looks keyed by state; what a state permits is the
# machines' (qualification / classes / roster .permits), asked by the views for the buttons
LOOKS = {ReviewStatus.PENDING: ("default", False), ReviewStatus.APPROVED: ("success", False),
         ReviewStatus.REJECTED: ("danger", True), EntryStatus.ENROLLED: ("default", False),
         EntryStatus.APPROVED: ("success", False), EntryStatus.REJECTED: ("danger", True)}


def _text_arg(name, length=64) -> str:
    return (request.args.get(name) or "").strip()[:length]


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _application_form_docx() -> bytes:
    """内培资格申请表 (Word): the fields the institute asks for, to fill in and stamp."""
    rows = ["事务所名称", "事务所编号", "申请年度", "培训负责人及联系方式", "培训场地及设施",
            "年度培训计划（课程、学时、师资）", "培训管理制度", "事务所意见（盖章）"]
    cell = lambda text: (f'<w:tc><w:tcPr><w:tcW w:w="4500" w:type="dxa"/></w:tcPr><w:p><w:r>'  # noqa: E731
                         f'<w:t>{text}</w:t></w:r></w:p></w:tc>')
    table = "".join(f"<w:tr>{cell(label)}{cell('')}</w:tr>" for label in rows)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f'<w:body><w:p><w:r><w:t>{identity().name} 事务所内部培训资格申请表</w:t></w:r></w:p>'
        '<w:tbl><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/>'
        '<w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/>'
        '<w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders>'
        f'</w:tblPr>{table}</w:tbl></w:body></w:document>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def _class_form(form) -> ClassInput:
    return ClassInput(name=form.get("name", ""), category=form.get("category", ""),
                      hours=form.get("hours", ""), start_date=form.get("start_date", ""),
                      end_date=form.get("end_date", ""), address=form.get("address", ""),
                      leader=form.get("leader", ""), contact=form.get("contact", ""))


def _entry_form(form) -> EntryInput:
    return EntryInput(is_cpa=form.get("is_cpa", YES),
                      cert_number=form.get("cert_number", ""), name=form.get("name", ""),
                      id_number=form.get("id_number", ""), level=form.get("level", ""),
                      acquisition=form.get("acquisition") or Acquisition.IN_HOUSE,
                      hours=form.get("hours", ""))


def _date_arg(name):
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
