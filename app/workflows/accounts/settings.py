"""系统管理 → 设置 (seed 004 §10): 用户信息 (a firm's contact), 修改密码, 邮箱绑定.

E-mail binding takes the place of the seed's WeChat binding: the address receives a
6-digit code, and only entering that code binds it (Account.notify_email), so nobody
can have another person's mailbox receive their notifications or password codes.
"""
import datetime as dt
import re
from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import User

from app.models import Account
from app.models import CodePurpose
from app.roles import FIRM_ADMIN
from app.workflows.accounts import codes
from app.workflows.accounts.logins import check_own_mobile, is_managed_cpa
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, Problems, ValidationError
from app.workflows.core.identifiers import clean_name, validate_mobile
from app.workflows.core.scoping import role_names

CONTACT_NAME_MAX = 64
EMAIL_MAX = 320
BIND_CODES_PER_HOUR = 5
# deliberately simple: one @, a dot in the domain, no spaces; the code proves the rest
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class UserInfo:
    """What the 用户信息 panel shows."""

    login: str
    name: str
    firm_name: str | None = None
    firm_code: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    can_edit_contact: bool = False
    notify_email: str | None = None
    # 协会代管注册会计师: its own mobile (where the appointment SMS goes), which it edits
    mobile: str | None = None
    can_edit_mobile: bool = False


def _account(user: User) -> Account:
    if user.account is None:  # e.g. an admin made by `fab create-admin`
        user.account = Account(must_change_password=False)
    return user.account


def is_firm_admin(user: User) -> bool:
    account = user.account
    return bool(account and account.firm is not None and FIRM_ADMIN in role_names(user))


def user_info(user: User) -> UserInfo:
    account = user.account
    person = account.person if account else None
    info = UserInfo(
        login=user.username,
        name=person.name if person is not None else user.get_full_name().strip(),
        notify_email=account.notify_email if account else None,
    )
    if is_firm_admin(user):
        firm = account.firm
        info.firm_name, info.firm_code = firm.name, firm.code
        info.contact_name, info.contact_phone = firm.contact_name, firm.contact_phone
        info.can_edit_contact = True
    elif is_managed_cpa(user):
        info.mobile, info.can_edit_mobile = person.phone, True
    return info


@command
def update_own_mobile(actor: User, now: dt.datetime, mobile) -> str:
    """编辑用户信息: a 协会代管注册会计师 changes its own mobile (a firm's CPAs have it kept
    by their firm's admin; this CPA is its own firm)."""
    if not is_managed_cpa(actor):
        raise ForbiddenError("只有协会代管注册会计师可以在此修改本人手机号")
    person = actor.account.person
    person.phone = check_own_mobile(person, mobile)
    return person.phone


@command
def update_contact(actor: User, now: dt.datetime, contact_name, contact_phone) -> None:
    """编辑用户信息: a firm admin changes its firm's 联系人姓名 and 联系人手机号."""
    if not is_firm_admin(actor):
        raise ForbiddenError("只有事务所管理员可以修改联系人信息")
    problems = Problems()
    name = clean_name(contact_name)
    if not name:
        problems.add("contact_name", "请填写联系人姓名")
    elif len(name) > CONTACT_NAME_MAX:
        problems.add("contact_name", f"联系人姓名过长（最多{CONTACT_NAME_MAX}个字符）")
    with problems.field("contact_phone"):
        try:
            phone = validate_mobile(contact_phone, "联系人手机号")
        except ValidationError as error:  # under this form's field, whatever it named
            raise ValidationError(error.message, "contact_phone") from None
    problems.raise_any()
    firm = actor.account.firm
    firm.contact_name = name
    firm.contact_phone = phone


def clean_email(value) -> str:
    email = (value or "").strip()
    if not email:
        raise ValidationError("请填写邮箱地址", "email")
    if len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
        raise ValidationError("邮箱地址格式不正确", "email")
    return email


def pending_binding(user: User, now: dt.datetime) -> str | None:
    """The address waiting for its code, if a code is live."""
    row = codes.live(user.id, CodePurpose.BIND_EMAIL, now)
    return row.email if row is not None else None


@command
def request_email_binding(actor: User, now: dt.datetime, email) -> str:
    """绑定邮箱, step 1: mail a code to the address. Returns the cleaned address."""
    email = clean_email(email)
    since = now - dt.timedelta(hours=1)
    if codes.issued_since(actor.id, CodePurpose.BIND_EMAIL, since) >= BIND_CODES_PER_HOUR:
        raise ValidationError("验证码发送过于频繁，请一小时后再试", "email")
    codes.mail_code(actor, CodePurpose.BIND_EMAIL, email, now, subject="邮箱绑定验证码",
                    doing=f"为账号 {actor.username} 绑定此邮箱")
    return email


@command
def confirm_email_binding(actor: User, now: dt.datetime, code) -> str:
    """绑定邮箱, step 2: the right code binds the address it was sent to."""
    if not (code or "").strip():
        raise ValidationError("请填写验证码", "code")
    row = codes.live(actor.id, CodePurpose.BIND_EMAIL, now)
    if row is None:
        raise ValidationError("验证码已失效，请重新获取", "code")
    if not codes.matches(row, code, now):
        raise ValidationError("验证码不正确", "code", keep_changes=True)  # the attempt counts
    row.used_at = now
    _account(actor).notify_email = row.email
    return row.email


@command
def unbind_email(actor: User, now: dt.datetime) -> None:
    """解除绑定: no more mail to the address (and no password recovery by mail)."""
    codes.retire(actor.id, CodePurpose.BIND_EMAIL, now)
    _account(actor).notify_email = None
