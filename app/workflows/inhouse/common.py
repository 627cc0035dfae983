"""What the sections of 事务所内部培训 share (seed 000 §6, DESIGN §3): who acts (the firm's
admin account, app/workflows/core/acting.py), the firm's messages, the Beijing date, the
staff decision every machine of the domain takes, and the form helpers.

The package is a tree: common ← qualification ← classes ← roster ← review; importing,
reports and cicpa sit on top. A lower module announces (a Hook), an upper one subscribes
through the DOMAIN's `hooks=` (app/views/inhouse/__init__.py).
"""
import datetime as dt
from decimal import Decimal

from app import clock
from app.extensions import db
from app.models import Category, Firm
from app.workflows.core.acting import acting_firm, acts_for, require_acting
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.identifiers import clean_name
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.core.states import Who
from app.workflows.hours import ledger
from app.workflows.messages import notify, recipients

FIRM_ONLY = "只有事务所管理员可以办理事务所内部培训事项"
STAFF_ONLY = "只有协会工作人员可以审核"
CATEGORY_LABELS = {Category.PROFESSIONAL: "专业", Category.ETHICS: "职业道德",
                   Category.SIZHENG: "思政"}
YES, NO = "是", "否"
MAX_HOURS = Decimal("999.9")

# the row's own firm admin (`__actors__` of the in-house models): what a machine's permits
# name as the one who may edit, delete or resubmit
firm_admin_who = Who("事务所管理员", acts_for)
firm_admin = recipients.firm_admin  # the one recipients helper (app/workflows/messages)


# --- who -------------------------------------------------------------------------------------

def require_firm(actor) -> Firm:
    """The firm a firm's admin account acts for; anyone else is refused (only firm admins
    report in-house training)."""
    firm = acting_firm(actor)
    if firm is None:
        raise ForbiddenError(FIRM_ONLY)
    return firm


def require_firm_of(actor, row) -> None:
    """Refuse anyone but the admin of the firm the row belongs to."""
    require_acting(actor, row, FIRM_ONLY)


def tell_firm(firm_id: int, title: str, body: str, now) -> None:
    """A decision on what the firm filed tells the firm's administrator (the filer)."""
    notify(recipients.decision_recipients(firm_id=firm_id), title, body, now)


def today(now: dt.datetime) -> dt.date:
    return clock.local_today(now)


def can_fire(machine, item, event: str, actor, now) -> bool:
    """Whether `event` is one of the transitions `actor` may fire on `item` now."""
    return any(t.event == event for t in machine.allowed(item, actor, now))


# --- the staff's decision --------------------------------------------------------------------

def decide(machine, model, label, actor, now, pk, event, remark, expected_version=None):
    """`expected_version`: the one the deciding page showed (a row decided since is refused
    as AlreadyDecided, in the machine's words)."""
    if not is_institute(actor):
        raise ForbiddenError(STAFF_ONLY)
    item = get_scoped(db.session, model, pk, actor, f"{label}不存在")
    remark = (remark or "").strip()[:200] or None
    machine.fire(item, event, actor, now, remark=remark, expected_version=expected_version)
    item.decided_at, item.decided_by_id = now, getattr(actor, "id", None)
    item.remark = remark
    return item


def remark_text(value):
    if value is not None and not isinstance(value, str):
        raise ValidationError("原因须为文本", "remark")
    return value


# --- form helpers ----------------------------------------------------------------------------

def date_value(value, field, label) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(f"请填写{label}（如 2026-04-20）", field) from None


def required(value, field, label, max_length) -> str:
    if value is not None and not isinstance(value, (str, int)):
        raise ValidationError(f"{label}须为文本", field)
    text = clean_name(value)
    if not text:
        raise ValidationError(f"请填写{label}", field)
    if len(text) > max_length:
        raise ValidationError(f"{label}过长（最多{max_length}个字）", field)
    return text


def parse_class_hours(value, field="hours", label="注师可获学时") -> Decimal:
    try:
        hours = ledger.parse_hours(value)
    except ValidationError as error:
        raise ValidationError(f"{label}：{error.message}", field) from None
    if hours > MAX_HOURS:
        raise ValidationError(f"{label}过大", field)
    return hours
