"""年终总结报告 (seed 000 §6.3): one document per firm and year (.doc/.docx/.pdf ≤ 10 MB),
replaceable until the year closes (CLOSE_MONTH_DAY of the following year, Beijing time),
and the two reminders of the backbone: 3 days before a class's 15-day roster window closes
while its roster is empty, and from 1 December to firms with an approved qualification but
no year-end report."""
import dataclasses
import datetime as dt

from sqlalchemy import exists, or_, select

from app.extensions import db
from app.models import (Firm, InhouseClass, InhouseQualification, InhouseRosterEntry,
                        InhouseYearReport, ReviewStatus)
from app.workflows.core import files
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor, is_institute
from app.workflows.inhouse.rules import (OWNER_REPORT, REPORT, ROSTER_DAYS, firm_admin, firm_of,
                                         has_qualification, today)
from app.workflows.messages import remind

CLOSE_MONTH_DAY = (1, 31)  # the report of year Y may be replaced until 31 January of Y+1
WINDOW_WARNING_DAYS = 3
REPORT_REMINDER_MONTH = 12


def closes_on(year: int) -> dt.date:
    return dt.date(year + 1, *CLOSE_MONTH_DAY)


def report_file(report_id: int):
    rows = files.of_owner(OWNER_REPORT, [report_id])[report_id]
    return rows[-1] if rows else None


@command
def upload_report(actor, now, year, upload) -> InhouseYearReport:
    firm = firm_of(actor)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError("请填写年度", "year") from None
    if upload is None:
        raise ValidationError("请选择年终总结报告文件", REPORT.name)
    local = today(now)
    if year > local.year or year < local.year - 1:
        raise ValidationError(f"只能上传{local.year - 1}或{local.year}年度的年终总结报告", "year")
    if local > closes_on(year):
        raise ValidationError(f"{year}年度已结束（{closes_on(year).isoformat()}截止），"
                              f"不能再上传或替换年终总结报告", "year")
    if not has_qualification(firm.id, year):
        raise ValidationError(f"贵所{year}年度没有审核通过的内培资格，无需上传年终总结报告", "year")
    report = db.session.scalars(select(InhouseYearReport).where(
        InhouseYearReport.firm_id == firm.id, InhouseYearReport.year == year)).first()
    if report is None:
        report = InhouseYearReport(firm_id=firm.id, year=year, uploaded_at=now,
                                   uploaded_by_id=getattr(actor, "id", None))
        db.session.add(report)
        db.session.flush()
    old = report_file(report.id)
    files.store(actor, now, REPORT, upload, OWNER_REPORT, report.id)
    if old is not None:
        files.remove(old)
    report.uploaded_at, report.uploaded_by_id = now, getattr(actor, "id", None)
    return report


def _report_reader(actor, owner_id) -> bool:
    from app.workflows.core.scoping import account_of

    account = account_of(actor)
    row = db.session.get(InhouseYearReport, owner_id)
    return bool(row is not None and account is not None and account.person_id is None
                and account.firm_id == row.firm_id)


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_REPORT: _report_reader}


NOT_SUBMITTED = "未提交"


@dataclasses.dataclass
class ReportLine:
    """One firm's 年终总结报告 of a year, as staff read it: the report and its file, or 未提交."""
    year: int
    firm: Firm
    report: InhouseYearReport | None
    file: object | None

    @property
    def status(self) -> str:
        return "已提交" if self.report is not None else NOT_SUBMITTED


def year_reports(actor, year: int, firm_id: int | None = None) -> list[ReportLine]:
    """The institute's list of 年终总结报告 (seed 000 §6.3) for one year: every firm expected
    to report — an approved 内培资格 of that year (those the December reminder asks) — and any
    firm that uploaded one; a firm with none shows as 未提交. Staff only: a firm admin reads
    its own on its page (scoped), never another firm's."""
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以查看各所的年终总结报告")
    qualified = select(InhouseQualification.firm_id).where(
        InhouseQualification.year == year, InhouseQualification.status == ReviewStatus.APPROVED)
    uploaded = select(InhouseYearReport.firm_id).where(InhouseYearReport.year == year)
    query = select(Firm).where(or_(Firm.id.in_(qualified), Firm.id.in_(uploaded)))
    if firm_id:
        query = query.where(Firm.id == firm_id)
    firms = list(db.session.scalars(query.order_by(Firm.code)))
    found = {r.firm_id: r for r in db.session.scalars(select(InhouseYearReport).where(
        InhouseYearReport.year == year,
        InhouseYearReport.firm_id.in_([f.id for f in firms])))} if firms else {}
    stored = files.of_owner(OWNER_REPORT, [r.id for r in found.values()]) if found else {}
    lines = []
    for firm in firms:
        report = found.get(firm.id)
        kept = stored.get(report.id) if report is not None else None
        lines.append(ReportLine(year, firm, report, kept[-1] if kept else None))
    return lines


@command
def send_reminders(actor, now) -> dict:
    local = today(now)
    sent = {"roster": 0, "report": 0}
    # classes whose window (end + 15 days) closes within 3 days, roster still empty
    last_end = local - dt.timedelta(days=ROSTER_DAYS - WINDOW_WARNING_DAYS)
    first_end = local - dt.timedelta(days=ROSTER_DAYS)
    empty = ~exists().where(InhouseRosterEntry.class_id == InhouseClass.id)
    for item in db.session.scalars(select(InhouseClass).where(
            InhouseClass.end_date >= first_end, InhouseClass.end_date <= last_end, empty)):
        closes = item.end_date + dt.timedelta(days=ROSTER_DAYS)
        user = firm_admin(item.firm_id)
        if user is not None and remind(
                user, "inhouse_roster_window", item.id, ["3天"], now,
                f"【内部培训】培训班“{item.name}”名单即将截止上报",
                f"培训班“{item.name}”的学员名单须在{closes.isoformat()}前上报（培训结束后15天内），"
                f"目前尚未上报任何学员，逾期将无法导入。"):
            sent["roster"] += 1
    if local.month >= REPORT_REMINDER_MONTH:
        year = local.year
        missing = select(InhouseQualification.firm_id).where(
            InhouseQualification.year == year,
            InhouseQualification.status == ReviewStatus.APPROVED,
            ~exists().where(InhouseYearReport.firm_id == InhouseQualification.firm_id,
                            InhouseYearReport.year == year))
        for firm_id in db.session.scalars(missing):
            user = firm_admin(firm_id)
            if user is not None and remind(
                    user, "inhouse_year_report", f"{firm_id}:{year}", ["12月"], now,
                    f"【内部培训】请上传{year}年度年终总结报告",
                    f"贵所具有{year}年度内培资格，请在“事务所内部培训 → 年终总结报告”中上传"
                    f"{year}年度年终总结报告（{closes_on(year).isoformat()}截止）。"):
                sent["report"] += 1
    return sent


@job("inhouse_reminders", schedule="daily:08:30",
     description="内部培训提醒：名单上报截止前3天仍无名单的培训班；12月起未上传年终总结报告的事务所",
     labels={"roster": "名单提醒", "report": "年终报告提醒"})
def inhouse_reminders(now: dt.datetime) -> dict:
    return send_reminders(SystemActor("定时任务"), now)
