"""内部培训班 (seed 000 §6.2.1): a firm reports a class for a year only with an approved
内培资格 for that year, at least 7 days before it starts (「培训班需在开班前至少提前一周上报，逾期
则无法上报。」); it is one category (专业课 / 职业道德 / 思政), never mixed; the firm edits and
deletes it until it is approved (a rejected class is corrected and goes back to 未审核).

Deleting a class announces CLASS_REMOVED before the row goes: the roster (roster.py, above
this module) withdraws and deletes its entries — subscribed by the DOMAIN, so this module
never imports the roster."""
import dataclasses
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Category, InhouseClass, InhouseRosterEntry, ReviewStatus
from app.workflows.core.commands import command
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.hooks import Hook
from app.workflows.core.scoping import get_scoped
from app.workflows.core.states import Machine, P, T, institute
from app.workflows.inhouse.common import (can_fire, date_value, decide, firm_admin_who,
                                          parse_class_hours, remark_text, require_firm,
                                          require_firm_of, required, tell_firm, today)
from app.workflows.inhouse.qualification import has_qualification

REPORT_DAYS = 7
LATE_CLASS = "培训班需在开班前至少提前一周上报，逾期则无法上报。"
_OPEN = {ReviewStatus.PENDING, ReviewStatus.REJECTED}

CLASS = Machine("inhouse_class", InhouseClass, [
    T("approve", ReviewStatus.PENDING, ReviewStatus.APPROVED, "审核通过", who=institute),
    T("reject", ReviewStatus.PENDING, ReviewStatus.REJECTED, "审核未通过", who=institute,
      remark=True),
    T("resubmit", ReviewStatus.REJECTED, ReviewStatus.PENDING, "修改后重新提交",
      who=firm_admin_who),
], permits=[
    P("edit", _OPEN, "修改", who=firm_admin_who),
    P("delete", _OPEN, "删除", who=firm_admin_who),
    # a roster line is approved only once its class is (roster.ENTRY's guard asks this)
    P("approve_entries", ReviewStatus.APPROVED, "审核通过其学员", who=institute),
])

# sent as (class, actor, now) just before a class is deleted, in the same transaction
CLASS_REMOVED = Hook("inhouse.class_removed")


@dataclasses.dataclass
class ClassInput:
    name: str = ""
    category: str = ""
    hours: object = None
    start_date: object = None
    end_date: object = None
    address: str = ""
    leader: str = ""
    contact: str = ""


def _clean(data: ClassInput, now, problems: Problems, check_timing: bool) -> dict:
    """The values of a class form / spreadsheet row that are right; each mistake goes to
    `problems` (so a form with three mistakes is told three)."""
    values = {}
    for key, label, length in (("name", "培训班名称", 100), ("address", "培训地址", 200),
                               ("leader", "培训负责人", 64), ("contact", "联系方式", 32)):
        with problems.field(key):
            values[key] = required(getattr(data, key), key, label, length)
    category = data.category if isinstance(data.category, str) else None
    category = {"专业": Category.PROFESSIONAL}.get(category, category)
    if category in Category.ALL:
        values["category"] = category
    else:
        problems.add("category", "请选择培训类别：专业、职业道德或思政"
                                 "（职业道德、思政培训班须单独上报）")
    with problems.field("hours"):
        values["hours"] = parse_class_hours(data.hours)
    start = end = None
    with problems.field("start_date"):
        start = date_value(data.start_date, "start_date", "培训开始时间")
    with problems.field("end_date"):
        end = date_value(data.end_date, "end_date", "培训结束时间")
    if start is not None and end is not None:
        if end < start:
            problems.add("end_date", "培训结束时间不能早于开始时间")
        elif end.year != start.year:
            problems.add("end_date", "培训班不能跨年度（开始与结束时间须在同一年）")
        else:
            values.update(start_date=start, end_date=end, year=start.year)
    if start is not None and check_timing and (start - today(now)).days < REPORT_DAYS:
        problems.add("start_date", LATE_CLASS)
    return values


def clean_class(data: ClassInput, now, *, check_timing=True) -> dict:
    """The checked values of a class form / spreadsheet row, or every mistake at once
    (ValidationError, FieldErrors for several)."""
    problems = Problems()
    values = _clean(data, now, problems, check_timing)
    problems.raise_any()
    return values


def _no_qualification(firm_id: int, year: int) -> str | None:
    if has_qualification(firm_id, year):
        return None
    return (f"贵所尚无{year}年度审核通过的内培资格，不能上报{year}年度的培训班。"
            f"请先在“内培资格申请”中申请，协会审核通过后再上报。")


def _checked(firm_id: int, data: ClassInput, now) -> dict:
    """The form's values, with the qualification of the class's year, or every mistake."""
    problems = Problems()
    values = _clean(data, now, problems, check_timing=True)
    if "year" in values:
        refused = _no_qualification(firm_id, values["year"])
        if refused:
            problems.add("start_date", refused)
    problems.raise_any()
    return values


def load_class(actor, pk) -> InhouseClass:
    return get_scoped(db.session, InhouseClass, pk, actor, "培训班不存在")


@command
def add_class(actor, now, data: ClassInput) -> InhouseClass:
    firm = require_firm(actor)
    values = _checked(firm.id, data, now)
    item = InhouseClass(firm_id=firm.id, status=ReviewStatus.PENDING, created_at=now,
                        created_by_id=getattr(actor, "id", None), **values)
    db.session.add(item)
    db.session.flush()
    CLASS.start(item, actor, now, remark="上报培训班")
    return item


@command
def update_class(actor, now, pk, data: ClassInput) -> InhouseClass:
    item = load_class(actor, pk)
    require_firm_of(actor, item)
    CLASS.require(item, "edit", actor, now)
    values = _checked(item.firm_id, data, now)
    most = db.session.scalar(select(func.max(InhouseRosterEntry.hours)).where(
        InhouseRosterEntry.class_id == item.id))
    if most is not None and Decimal(most) > values["hours"]:
        raise ValidationError(f"名单中已有学员获得{Decimal(most):.1f}学时，培训班学时不能少于此数",
                              "hours")
    for key, value in values.items():
        setattr(item, key, value)
    if can_fire(CLASS, item, "resubmit", actor, now):
        CLASS.fire(item, "resubmit", actor, now)
    return item


@command
def delete_class(actor, now, pk) -> None:
    item = load_class(actor, pk)
    require_firm_of(actor, item)
    CLASS.require(item, "delete", actor, now)
    CLASS_REMOVED.send(item, actor, now)  # the roster goes with it (roster.drop_roster)
    db.session.delete(item)


@command
def approve_class(actor, now, pk, remark=None, notify_firm=True, expected_version=None):
    item = decide(CLASS, InhouseClass, "培训班", actor, now, pk, "approve", remark_text(remark),
                  expected_version)
    if notify_firm:
        tell_firm(item.firm_id, f"【内部培训】培训班“{item.name}”审核通过",
                  f"贵所上报的培训班“{item.name}”已审核通过。", now)
    return item


@command
def reject_class(actor, now, pk, remark=None, notify_firm=True, expected_version=None):
    item = decide(CLASS, InhouseClass, "培训班", actor, now, pk, "reject", remark_text(remark),
                  expected_version)
    if notify_firm:
        tell_firm(item.firm_id, f"【内部培训】培训班“{item.name}”审核未通过",
                  f"贵所上报的培训班“{item.name}”审核未通过，原因：{item.remark}。", now)
    return item


def reported_counts(class_ids) -> dict[int, int]:
    ids = list(class_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        select(InhouseRosterEntry.class_id, func.count()).where(
            InhouseRosterEntry.class_id.in_(ids)).group_by(InhouseRosterEntry.class_id)).all())
