"""上报中注协 (seed 000 §6.2.4): the firm's whole-year summary in the CICPA upload template.

Two sheets (documented in docs/inhouse.md):
- 培训班: 序号, 事务所编号, 事务所名称, 年度, 培训班名称, 培训类别, 注师可获学时, 培训开始日期,
  培训结束日期, 培训地址, 培训负责人, 联系方式, 审核状态, 上报人数, 审核通过人数, 审核通过学时合计
- 学员学时: 序号, 培训班名称, 培训类别, 是否注师, 证书编号, 姓名, 身份证号, 级别, 学时获得方式,
  获得学时, 审核状态, 培训结束日期
Every class of the year and every entry of those classes (the status column says which are
approved); the totals on the 培训班 sheet count approved entries only.
"""
from decimal import Decimal

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import EntryStatus, Firm, InhouseClass, InhouseRosterEntry, ReviewStatus
from app.workflows.core.acting import acting_firm_id
from app.workflows.core.errors import ForbiddenError, NotFoundError
from app.workflows.core.scoping import is_institute
from app.workflows.core.sheets import XlsxWriter
from app.workflows.inhouse.common import CATEGORY_LABELS
from app.workflows.core.labels import label

CLASS_HEADERS = ["序号", "事务所编号", "事务所名称", "年度", "培训班名称", "培训类别", "注师可获学时",
                 "培训开始日期", "培训结束日期", "培训地址", "培训负责人", "联系方式", "审核状态",
                 "上报人数", "审核通过人数", "审核通过学时合计"]
ENTRY_HEADERS = ["序号", "培训班名称", "培训类别", "是否注师", "证书编号", "姓名", "身份证号", "级别",
                 "学时获得方式", "获得学时", "审核状态", "培训结束日期"]


def _authorize(actor, firm: Firm) -> None:
    if is_institute(actor) or getattr(actor, "id", 0) is None:
        return
    if acting_firm_id(actor) != firm.id:  # the firm's own admin account
        raise ForbiddenError("只能导出本所的培训汇总")


def years_reported(actor, firm: Firm) -> dict[int, tuple[int, int]]:
    """{year: (classes, approved classes)} of the firm, newest first: what the 上报中注协
    year chooser lists beside each year."""
    _authorize(actor, firm)
    rows = db.session.execute(
        select(InhouseClass.year, func.count(),
               func.sum(case((InhouseClass.status == ReviewStatus.APPROVED, 1), else_=0)))
        .where(InhouseClass.firm_id == firm.id).group_by(InhouseClass.year)
        .order_by(InhouseClass.year.desc()))
    return {year: (int(total), int(approved or 0)) for year, total, approved in rows}


def firm_by_code(code: str) -> Firm:
    firm = db.session.scalars(select(Firm).where(Firm.code == str(code).strip())).first()
    if firm is None:
        raise NotFoundError(f"事务所编号“{code}”不存在")
    return firm


def workbook(actor, firm: Firm, year: int) -> bytes:
    _authorize(actor, firm)
    classes = list(db.session.scalars(select(InhouseClass).where(
        InhouseClass.firm_id == firm.id, InhouseClass.year == int(year))
        .order_by(InhouseClass.start_date, InhouseClass.id)))
    entries, approved_ids = {}, set()
    if classes:
        of_classes = InhouseRosterEntry.class_id.in_([c.id for c in classes])
        for entry in db.session.scalars(select(InhouseRosterEntry).where(of_classes)
                                        .order_by(InhouseRosterEntry.class_id,
                                                  InhouseRosterEntry.id)):
            entries.setdefault(entry.class_id, []).append(entry)
        approved_ids = set(db.session.scalars(select(InhouseRosterEntry.id).where(
            of_classes, InhouseRosterEntry.status == EntryStatus.APPROVED)))
    writer = XlsxWriter()
    sheet = writer.sheet("培训班", widths=[6, 12, 30, 6, 30, 10, 12, 12, 12, 30, 12, 14, 10, 10,
                                           12, 16])
    writer.append(sheet, CLASS_HEADERS, bold=True)
    for number, item in enumerate(classes, start=1):
        rows = entries.get(item.id, [])
        approved = [e for e in rows if e.id in approved_ids]
        writer.append(sheet, [number, firm.code, firm.name, item.year, item.name,
                              CATEGORY_LABELS.get(item.category, item.category),
                              float(item.hours), item.start_date.isoformat(),
                              item.end_date.isoformat(), item.address, item.leader, item.contact,
                              label(item), len(rows), len(approved),
                              float(sum((Decimal(e.hours) for e in approved), Decimal(0)))],
                      text_format=False)
    people = writer.sheet("学员学时", widths=[6, 30, 10, 8, 16, 10, 20, 16, 14, 10, 10, 12])
    writer.append(people, ENTRY_HEADERS, bold=True)
    number = 0
    for item in classes:
        for entry in entries.get(item.id, []):
            number += 1
            writer.append(people, [number, item.name,
                                   CATEGORY_LABELS.get(item.category, item.category),
                                   "是" if entry.is_cpa else "否", entry.cert_number or "",
                                   entry.name, entry.id_number or "", entry.level,
                                   entry.acquisition, float(entry.hours), label(entry),
                                   item.end_date.isoformat()])
    return writer.to_bytes()
