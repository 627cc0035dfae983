"""Imports and small helpers shared by the modules of this package."""
import click
from flask import abort, flash, g, redirect, request, url_for
from flask.cli import AppGroup
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import protect
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from app import clock
from app.domains import Domain
from app.extensions import db
from app.models import (Category, Enrollment, EnrollmentStatus, Firm, PersonKind, TrainingClass,
                        TrainingResult, WaitlistEntry)
from app.models import TrainingAudience as Audience
from app.roles import FIRM_ADMIN, MEMBER, STAFF
from app.views.core.args import json_body as _body
from app.views.core.export import send_table
from app.views.core.machines import MachineVerbsMixin
from app.views.core.scoping import (ScopedModelRestApi, current_user, now, scoped_id,
                                    upload_limit, uploads)
from app.workflows.core import files
from app.workflows.core.errors import DomainError, NotFoundError, ValidationError
from app.workflows.core.scoping import (SystemActor, account_of, is_institute, person_id_of,
                                        role_names)
from app.workflows.hours.rules import fmt
from app.workflows.training import (classes, enrollment, exports, review, waitlist)

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


__all__ = [n for n in dir() if not n.startswith("__")]
