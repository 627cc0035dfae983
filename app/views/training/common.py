"""Imports and small helpers shared by the modules of this package."""
from app import clock
from app.models import EnrollmentStatus
from app.workflows.core import files
from app.workflows.core.errors import ValidationError
from app.workflows.hours.rules import fmt
from app.workflows.training import classes, enrollment

MENU = "CPA专题培训"
MENU_ENROLL = "协会培训班报名"
MENU_HANDOUTS = "协会培训班讲义下载"
MENU_WAITLIST = "候补名单"
MENU_ADMIN = "培训班管理"
MENU_RESULTS = "培训结果导入"
HANDOUT_LIMIT = classes.HANDOUT.max_bytes + 16 * 1024 * 1024  # the file and the form around it
FORM_KEYS = tuple(enrollment.FORM_FIELDS)


def _when(value, fmt_="%Y-%m-%d %H:%M") -> str:
    return clock.display(value, fmt_)


def _period(item) -> str:
    return f"{item.start_date.isoformat()} 至 {item.end_date.isoformat()}"


def _window(item) -> str:
    return f"{_when(item.enroll_start)} 至 {_when(item.enroll_end)}"


def _ids(values) -> list[int]:
    found = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError("所选记录无效，请刷新后重试") from None
        if not 0 < number < 2**31:
            raise ValidationError("所选记录无效，请刷新后重试")
        found.append(number)
    return found


def _helpers():
    return {"period": _period, "window": _window, "when": _when, "hours": fmt,
            "size": files.human_size, "cicpa": EnrollmentStatus.CICPA}
