"""会计学院 and 网络课程 as staff keep them (the CRUD pages call these before saving or
deleting): codes and names filled, a web address that is one, a fee and hours that are
amounts, no course code twice for an institute and year, nothing deleted that is in use
(deactivate it instead)."""
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Category, Course, InstituteChoice, LearningInstitute, LessonProgress
from app.passwords import hash_password
from app.roles import INSTITUTE
from app.workflows.accounts.logins import create_account
from app.workflows.core.commands import command
from app.workflows.core.errors import ValidationError


def _in_use(model, column, value) -> bool:
    return db.session.scalar(select(model.id).where(column == value).limit(1)) is not None


def clean_institute(item: LearningInstitute) -> None:
    item.code = (item.code or "").strip().upper()
    item.name = (item.name or "").strip()
    if not item.code or not item.name:
        raise ValidationError("请填写学院代码和学院名称")
    item.website = (item.website or "").strip() or None
    if item.website and not item.website.startswith(("https://", "http://")):
        raise ValidationError("学习网址须以 https:// 或 http:// 开头", "website")
    try:
        fee = Decimal(str(item.fee if item.fee is not None else 0))
    except InvalidOperation:
        raise ValidationError("学习费用须为数字", "fee") from None
    if not fee.is_finite() or fee < 0 or fee >= 1000000:
        raise ValidationError("学习费用须为0至999999.99之间的金额", "fee")
    item.fee = fee.quantize(Decimal("0.01"))
    for field in ("pay_payee", "pay_bank", "pay_account", "pay_note"):
        setattr(item, field, (getattr(item, field) or "").strip() or None)
    if item.pay_account:
        digits = item.pay_account.replace(" ", "")
        if not digits.isdigit() or not 6 <= len(digits) <= 32:
            raise ValidationError(f"收款账号“{item.pay_account}”应为6至32位数字（可含空格）",
                                  "pay_account")
    if item.pay_account and not item.pay_payee:
        raise ValidationError("填写收款账号时请同时填写收款单位", "pay_payee")


def check_institute_delete(item: LearningInstitute) -> None:
    if _in_use(Course, Course.institute_id, item.id) or \
            _in_use(InstituteChoice, InstituteChoice.institute_id, item.id):
        raise ValidationError(f"{item.name}已有课程或学员选择，不能删除，可改为停用")


def clean_course(item: Course) -> None:
    item.code = (item.code or "").strip()
    item.title = (item.title or "").strip()
    institute_id = item.institute.id if item.institute is not None else item.institute_id
    if not institute_id:
        raise ValidationError("请选择会计学院", "institute")
    if not item.code or not item.title:
        raise ValidationError("请填写课程编号和课程名称")
    if not item.year or not 2000 <= int(item.year) <= 2100:
        raise ValidationError("年度须为四位年份", "year")
    if item.category not in Category.ALL:
        raise ValidationError(f"学时类别须为{'、'.join(Category.ALL)}之一", "category")
    try:
        hours = Decimal(str(item.hours))
    except InvalidOperation:
        raise ValidationError("学时须为数字，最多一位小数", "hours") from None
    if not hours.is_finite() or hours <= 0 or hours >= 1000 \
            or hours != hours.quantize(Decimal("0.1")):
        raise ValidationError("学时须大于0，最多一位小数", "hours")
    item.hours = hours.quantize(Decimal("0.1"))
    with db.session.no_autoflush:
        clash = db.session.scalar(select(Course.id).where(
            Course.institute_id == institute_id, Course.year == item.year,
            Course.code == item.code, Course.id != (item.id or 0)).limit(1))
    if clash is not None:
        raise ValidationError(f"该学院{item.year}年度已有编号为{item.code}的课程", "code")


def check_course_delete(item: Course) -> None:
    if _in_use(LessonProgress, LessonProgress.course_id, item.id):
        raise ValidationError(f"课程“{item.title}”已有学习记录，不能删除，可改为停用")


@command
def open_institute_account(actor, now, code: str, username: str,
                           password: str) -> LearningInstitute:
    """`flask learning institute-account`: open an institute's LMS account (role Institute)
    or reset its password; a login of somebody else is refused."""
    institute = db.session.scalars(select(LearningInstitute).where(
        LearningInstitute.code == code.strip().upper())).first()
    if institute is None:
        raise ValidationError(f"没有代码为{code}的会计学院", "institute")
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_account(username=username, display_name=f"{institute.name}接口",
                              role_name=INSTITUTE, password=password, now=now,
                              must_change_password=False)
    elif user.account is None or user.account.learning_institute_id != institute.id \
            or {r.name for r in user.roles} != {INSTITUTE}:
        raise ValidationError(f"登录名“{username}”已被其他账号使用", "username")
    else:
        user.password = hash_password(password)
    user.account.learning_institute_id = institute.id
    return institute
