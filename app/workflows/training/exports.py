"""Exports of a class: its enrollment list as the sign-in sheet (报名情况表, the manual's columns), and its results in the CICPA
upload template (the class-to-CICPA export; columns documented in docs/training.md), also
as `flask --app run.py export class-cicpa --class ID --out FILE.xlsx`."""
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Enrollment, Firm, PersonKind, TrainingResult
from app.workflows.core.scoping import get_scoped, scoped_select
from app.models import TrainingClass
from app.workflows.core.sheets import XlsxWriter
from app.workflows.hours.rules import fmt
from app.workflows.core.labels import label
from app.workflows.training.states import MACHINE

SHEET_HEADER = ["人员类型", "证书号", "姓名", "性别", "年龄", "民族", "职位", "单位名称", "联系电话",
                 "航班/车次", "微信昵称", "备注", "报名方式", "报名时间", "报名状态", "培训状态"]
# the CICPA template: one row per CPA approved for the class (docs/training.md)
CICPA_HEADER = ["序号", "注册会计师编号", "姓名", "性别", "所在单位", "培训班名称", "培训开始日期",
                "培训结束日期", "培训地点", "学时类别", "培训形式", "培训学时", "培训结果", "获得学时"]


def attendance_sheet(actor, class_id: int):
    """The header, then the actor's rows of the class (staff: all; a firm: its own)."""
    get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    yield SHEET_HEADER
    query = scoped_select(Enrollment, actor).where(Enrollment.class_id == class_id)
    for e in db.session.scalars(query.order_by(Enrollment.id)):
        yield [e.person_kind, e.cert_number or "", e.name, e.gender or "",
               "" if e.age is None else e.age, e.ethnicity or "", e.position or "",
               e.unit_name or "", e.phone, e.travel or "", e.wechat or "", e.remark or "",
               e.channel, clock.display(e.created_at), label(e), e.result]


def cicpa_rows(session, item: TrainingClass):
    """The CICPA template's rows of one class (every approved CPA with a number)."""
    yield CICPA_HEADER
    query = (select(Enrollment, Firm.name).outerjoin(Firm, Firm.id == Enrollment.firm_id)
             .where(Enrollment.class_id == item.id,
                    Enrollment.status.in_(MACHINE.states_for("record_result")),
                    Enrollment.person_kind == PersonKind.CPA,
                    Enrollment.cert_number.is_not(None))
             .order_by(Enrollment.cert_number))
    for number, (e, firm_name) in enumerate(session.execute(query), start=1):
        passed = e.result == TrainingResult.PASSED
        yield [number, e.cert_number, e.name, e.gender or "", firm_name or e.unit_name or "",
               item.name, item.start_date.isoformat(), item.end_date.isoformat(), item.location,
               item.category, "面授", fmt(item.hours), e.result, fmt(item.hours) if passed else "0"]


def cicpa_workbook(session, item: TrainingClass) -> bytes:
    writer = XlsxWriter()
    sheet = writer.sheet("培训班学员", widths=[6, 16, 10, 6, 30, 40, 12, 12, 30, 10, 8, 10, 12, 10])
    for index, row in enumerate(cicpa_rows(session, item)):
        writer.append(sheet, row, bold=index == 0, text_format=index > 0)
    return writer.to_bytes()
