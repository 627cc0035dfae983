"""内培资格申请 (seed 000 §6.1): one application per firm and year with the manual's four
attachments; staff approve or reject it (reason required); a rejected one is corrected and
goes back to 未审核. A firm reports classes for a year only with an approved 内培资格 for
that year (`has_qualification`)."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import InhouseQualification, ReviewStatus
from app.workflows.core import files
from app.workflows.core.acting import acts_for
from app.workflows.core.commands import command
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.states import Machine, P, T, institute
from app.workflows.inhouse.common import (can_fire, decide, firm_admin_who, remark_text,
                                          require_firm, tell_firm, today)

OWNER_QUALIFICATION = "inhouse_qualification"
SCAN = files.doc_type("inhouse_qual_scan", "内培资格申请表盖章版扫描件", ("png", "jpg", "pdf"),
                      max_mb=10)
WORD = files.doc_type("inhouse_qual_word", "内培资格申请表Word版", ("doc", "docx"), max_mb=10)
POLICY = files.doc_type("inhouse_qual_policy", "培训制度", ("doc", "docx", "pdf"), max_mb=10)
PLAN = files.doc_type("inhouse_qual_plan", "培训计划", ("doc", "docx", "xls", "xlsx"), max_mb=10)
ATTACHMENTS = (SCAN, WORD, POLICY, PLAN)

QUALIFICATION = Machine("inhouse_qualification", InhouseQualification, [
    T("approve", ReviewStatus.PENDING, ReviewStatus.APPROVED, "审核通过", who=institute),
    T("reject", ReviewStatus.PENDING, ReviewStatus.REJECTED, "审核未通过", who=institute,
      remark=True),
    T("resubmit", ReviewStatus.REJECTED, ReviewStatus.PENDING, "修改后重新提交",
      who=firm_admin_who),
], permits=[
    # the firm corrects its application (replaces attachments) until it is approved
    P("amend", {ReviewStatus.PENDING, ReviewStatus.REJECTED}, "修改申请", who=firm_admin_who),
])


def _firm_reads(model):
    def can_read(actor, owner_id) -> bool:
        row = db.session.get(model, owner_id)
        return row is not None and acts_for(actor, row)
    return can_read


def qualification_years(now) -> list[int]:
    year = today(now).year
    return [year, year + 1]


def has_qualification(firm_id: int, year: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(InhouseQualification).where(
        InhouseQualification.firm_id == firm_id, InhouseQualification.year == year,
        InhouseQualification.status == ReviewStatus.APPROVED)) > 0


def attachments_of(qualification_ids) -> dict[int, dict[str, object]]:
    """{qualification id: {doc type name: StoredFile}} (the latest of each type)."""
    found = {}
    for owner_id, rows in files.of_owner(OWNER_QUALIFICATION, qualification_ids).items():
        found[owner_id] = {row.doc_type: row for row in rows}
    return found


def _year(value, now, problems) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        problems.add("year", "请填写年度")
        return None
    if year not in qualification_years(now):
        problems.add("year", f"年度只能为{'或'.join(map(str, qualification_years(now)))}")
        return None
    return year


@command
def apply_qualification(actor, now, year, uploads: dict) -> InhouseQualification:
    """Apply (or correct a pending / rejected application) for `year`; `uploads` maps a
    doc type name of ATTACHMENTS to a files.Upload (None: keep what was uploaded). Every
    mistake of the form (the year, the missing attachments) is told at once."""
    firm = require_firm(actor)
    problems = Problems()
    year = _year(year, now, problems)
    row = None if year is None else db.session.scalars(select(InhouseQualification).where(
        InhouseQualification.firm_id == firm.id, InhouseQualification.year == year)).first()
    if row is not None and not QUALIFICATION.permits(row, "amend", actor, now):
        # the one state that cannot be amended: approved (the machine's permit says so)
        raise ValidationError(f"贵所{year}年度内培资格已审核通过，无需重复申请", "year")
    current = attachments_of([row.id])[row.id] if row is not None else {}
    missing = [d for d in ATTACHMENTS if uploads.get(d.name) is None and d.name not in current]
    if missing:
        problems.add(missing[0].name, f"请上传{'、'.join(d.label for d in missing)}")
    problems.raise_any()
    if row is None:
        row = InhouseQualification(firm_id=firm.id, year=year, status=ReviewStatus.PENDING,
                                   submitted_at=now, submitted_by_id=getattr(actor, "id", None))
        db.session.add(row)
        db.session.flush()
        QUALIFICATION.start(row, actor, now, remark="提交申请")
    else:
        if can_fire(QUALIFICATION, row, "resubmit", actor, now):
            QUALIFICATION.fire(row, "resubmit", actor, now)
        row.submitted_at = now
        row.submitted_by_id = getattr(actor, "id", None)
    for doc in ATTACHMENTS:
        upload = uploads.get(doc.name)
        if upload is None:
            continue
        files.store(actor, now, doc, upload, OWNER_QUALIFICATION, row.id)
        if doc.name in current:
            files.remove(current[doc.name])
    db.session.flush()
    return row


@command
def approve_qualification(actor, now, pk, remark=None, notify_firm=True,
                          expected_version=None):
    item = decide(QUALIFICATION, InhouseQualification, "内培资格申请", actor, now, pk, "approve",
                  remark_text(remark), expected_version)
    if notify_firm:
        tell_firm(item.firm_id, f"【内培资格】{item.year}年度内培资格申请审核通过",
                  f"贵所{item.year}年度内培资格申请已审核通过，可以上报该年度的内部培训班。", now)
    return item


@command
def reject_qualification(actor, now, pk, remark=None, notify_firm=True, expected_version=None):
    item = decide(QUALIFICATION, InhouseQualification, "内培资格申请", actor, now, pk, "reject",
                  remark_text(remark), expected_version)
    if notify_firm:
        tell_firm(item.firm_id, f"【内培资格】{item.year}年度内培资格申请审核未通过",
                  f"贵所{item.year}年度内培资格申请审核未通过，原因：{item.remark}。"
                  f"请修改后在“内培资格申请”中重新提交。", now)
    return item


# who may download this domain's files; its DOMAIN.file_owners lists it (create_app registers)
FILE_OWNERS = {OWNER_QUALIFICATION: _firm_reads(InhouseQualification)}
