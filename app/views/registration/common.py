"""Imports and small helpers shared by the modules of this package."""
import datetime as dt

from flask import request
from sqlalchemy import or_

from app.models import CaseStatus, Firm, RegistrationCase
from app.views.core.scoping import now
from app.workflows.core import files
from app.workflows.core.scoping import is_institute
from app.workflows.registration import cases, types as TY
from app.workflows.core.labels import code_of

MENU = "注册业务"
MENU_APPLY = "业务办理"
MENU_RECORDS = "办理记录"
MENU_APPOINTMENTS = "预约记录"
MENU_ONSITE = "现场办理"
MENU_REQUIREMENTS = "所需材料设置"
MENU_SLOTS = "预约时段设置"
MENU_HOLIDAYS = "节假日设置"
PLEDGE_KEY = "registration_pledges"


def _form_data(case_type: str) -> dict:
    data = {}
    for field in TY.fields_of(case_type):
        if field.kind == "checks":
            data[field.key] = request.form.getlist(field.key)[:20]
        else:
            data[field.key] = (request.form.get(field.key) or "")[:200]
    return data


def _typed(case_type: str) -> dict:
    """The form's values as typed (a refused 保存 shows them again)."""
    values = _form_data(case_type)
    return {key: value for key, value in values.items() if value not in ("", None)}


def _kept() -> dict:
    """doc_key -> id of the files an earlier refused 保存 kept (``held_<key>``)."""
    return {key[5:][:32]: value[:12] for key, value in request.form.items()
            if key.startswith("held_") and key != "held_token" and value}


def _uploads() -> dict:
    found = {}
    for key, storage in request.files.items(multi=True):
        if storage and storage.filename and key.startswith("doc_"):
            found[key[4:][:32]] = files.Upload.of(storage)
    return found


def _case_filters(actor):
    """办理记录 filters: 办理事项, 状态, 姓名/证号/身份证号, 事务所 (staff), 等待天数 (staff);
    (statement, its order, problems)."""
    statement, order = cases.records_select(actor)
    problems = []
    case_type = request.args.get("type") or ""
    if case_type:
        if case_type not in TY.ALL:
            problems.append("办理事项不在可选范围内")
        else:
            statement = statement.where(RegistrationCase.case_type == case_type)
    status = code_of(CaseStatus.LABELS, request.args.get("status") or "")  # words or code
    if status:
        if status not in CaseStatus.ALL:
            problems.append("状态不在可选范围内")
        else:
            statement = statement.where(RegistrationCase.status == status)
    text = (request.args.get("q") or "").strip()[:50]
    if text:
        statement = statement.where(or_(RegistrationCase.name.contains(text, autoescape=True),
                                        RegistrationCase.cert_number == text,
                                        RegistrationCase.id_number == text))
    if is_institute(actor):
        firm = (request.args.get("firm") or "").strip()[:64]
        if firm:
            statement = statement.where(RegistrationCase.firm.has(
                or_(Firm.name.contains(firm, autoescape=True), Firm.code == firm)))
        waited = request.args.get("waited") or ""
        if waited:
            try:
                days = int(waited)
                if not 0 <= days <= 3650:
                    raise ValueError
            except ValueError:
                problems.append("等待天数须为0到3650之间的整数")
            else:
                limit = now() - dt.timedelta(days=days)
                statement = statement.where(RegistrationCase.status == CaseStatus.SUBMITTED,
                                            RegistrationCase.submitted_at <= limit)
    return statement.order_by(*order), problems
