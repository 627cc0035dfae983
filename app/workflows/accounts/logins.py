"""Accounts: creating sign-ins for firms and persons, first login, password changes.

Login names and initial passwords follow the manuals (DESIGN §6):
firm admin ``P`` + firm code, initial password the code's last 6 characters.
Every initial password must be changed at first login.
"""
import datetime as dt
import hmac
import re

from flask_appbuilder.security.sqla.models import Role, User

from app.extensions import db
from app.models import Account, Firm, Person, PersonType
from app.passwords import check_password, hash_password
from app.roles import FIRM_ADMIN, MEMBER
from app.workflows.accounts.sessions import end_sessions
from app.workflows.core import standing
from app.workflows.core.commands import command
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.identifiers import clean_name, validate_mobile
from app.workflows.core.scoping import role_names

MIN_PASSWORD_LENGTH = 8


MOBILE_RULE = "mobile6"  # initial password = the person's mobile's last 6 digits


def firm_admin_initial_password(code: str) -> str:
    """Seed 000 §1: 「用户名为：P+会计师事务所编号，初始密码为：会计师事务所编号后六位。
    【首次登录后需修改密码】」"""
    return code[-6:]


def staff_login(mobile: str) -> str:
    """Login name of a firm's practitioner: ``kj`` + mobile (seed 000 §3)."""
    return "kj" + mobile


# The identifier each kind of member types as 用户名 (what the login page and the demo say).
LOGIN_IDENTIFIER = {
    PersonType.CPA: "证书编号",
    PersonType.NON_PRACTICING: "会员证书编号",
    PersonType.OTHER: "kj+手机号",
}
CERTIFICATE_LOGIN_TYPES = (PersonType.CPA, PersonType.NON_PRACTICING)


def login_identifier(person) -> str:
    """What a person types as 用户名: a CPA its 证书编号, a 非执业会员 its 会员证书编号
    (seeds 001/002: 「非执业会员直接使用其“会员证书编号”作为用户名进行登录」), anyone else
    ``kj`` + mobile (seed 000 §3: 「从业人员用户名为“kj+手机号”」)."""
    if person.person_type in CERTIFICATE_LOGIN_TYPES and person.cert_number:
        return person.cert_number
    account = getattr(person, "account", None)
    return account.user.username if account is not None and account.user else ""


def resolve_login(identifier: str | None) -> User | None:
    """The account a typed 用户名 names — the one place the login form, the JWT login,
    the login limiter and 找回密码 resolve it.

    The login name itself first (admin, staff, P+事务所编号, kj+手机号, a managed CPA's
    certificate number); else the certificate number of a CPA or 非执业会员 names its
    person's account. Seeds 001/002: 「非执业会员直接使用其“会员证书编号”作为用户名进行登录」;
    seed 001: 「用户类型选择“非执业会员”或“注册会计师”，用户名为会员证书编号」.
    """
    from sqlalchemy import func, select
    from sqlalchemy.exc import MultipleResultsFound

    typed = (identifier or "").strip()
    if not typed:
        return None
    try:
        user = db.session.execute(select(User).where(
            func.lower(User.username) == func.lower(typed))).scalar_one_or_none()
    except MultipleResultsFound:
        return None
    if user is not None:
        return user
    return db.session.execute(
        select(User).join(Account, Account.user_id == User.id)
        .join(Person, Person.id == Account.person_id)
        .where(Person.cert_number == typed,
               Person.person_type.in_(CERTIFICATE_LOGIN_TYPES))).scalars().first()


def derived_initial_password(account: Account | None) -> str | None:
    """The initial password of an account created in bulk (no hash is stored)."""
    if account is None or account.initial_rule != MOBILE_RULE:
        return None
    person = account.person
    return person.phone[-6:] if person is not None and person.phone else None


def verify_password(user: User, password: str) -> bool:
    """The stored hash, or, while none is stored, the account's derived initial password."""
    if not password:
        return False
    if user.password:
        return check_password(user.password, password)
    expected = derived_initial_password(user.account)
    return expected is not None and hmac.compare_digest(expected, password)


def is_initial_password(user: User, password: str) -> bool:
    account = user.account
    if account is None:
        return False
    if check_password(account.initial_password_hash, password):
        return True
    expected = derived_initial_password(account)
    return expected is not None and hmac.compare_digest(expected, password)


def _placeholder_email(username: str) -> str:
    # ab_user.email is unique and NOT NULL; real addresses are bound later (message centre).
    return f"{username.lower()}@accounts.invalid"


def create_account(
    *,
    username: str,
    display_name: str,
    role_name: str,
    password: str,
    now: dt.datetime,
    firm: Firm | None = None,
    person=None,
    must_change_password: bool = True,
) -> User:
    """Create an ab_user with its Account profile; the password is its initial one."""
    role = db.session.query(Role).filter_by(name=role_name).one_or_none()
    if role is None:
        raise ValidationError(f"角色“{role_name}”不存在，请先初始化数据库")
    if db.session.query(User).filter_by(username=username).first() is not None:
        raise ValidationError(f"登录名“{username}”已被使用", "username")
    password_hash = hash_password(password)
    user = User(
        first_name=display_name[:64],
        last_name="",
        username=username,
        email=_placeholder_email(username),
        active=True,
        password=password_hash,
        roles=[role],
        created_on=now.replace(tzinfo=None),
        changed_on=now.replace(tzinfo=None),
    )
    user.account = Account(
        firm=firm,
        person=person,
        must_change_password=must_change_password,
        initial_password_hash=password_hash,
    )
    db.session.add(user)
    return user


def provision_firm_admin(firm: Firm, now: dt.datetime) -> User:
    """Create the firm's admin account ``P`` + code (initial password: code's last 6)."""
    return create_account(
        username=firm.admin_username,
        display_name=firm.name,
        role_name=FIRM_ADMIN,
        password=firm_admin_initial_password(firm.code),
        now=now,
        firm=firm,
    )


def managed_cpa_initial_password(person) -> str:
    """Seed 004 §1: 「协会代管注册会计师用户账号为本人注册会计师证书编号，初始密码为本人身份证号。」"""
    return person.id_number or ""


def is_managed_cpa(user: User) -> bool:
    """协会代管注册会计师: a member whose person is a CPA of no firm (the institute manages it)."""
    account = getattr(user, "account", None)
    person = account.person if account is not None else None
    return bool(person is not None and person.firm_id is None and MEMBER in role_names(user)
                and person.person_type == PersonType.CPA)


def provision_managed_cpa(person, now: dt.datetime) -> User:
    """The sign-in of a CPA under the institute's care: login = its 注册会计师证书编号,
    initial password = its 身份证号 (changed at first login, with its own mobile)."""
    if person.firm_id is not None or person.person_type != PersonType.CPA:
        raise ValidationError(f"{person.name}不是协会代管注册会计师")
    if not person.cert_number or not person.id_number:
        raise ValidationError(f"{person.name}缺少注册会计师证书编号或身份证号，无法开通账号")
    return create_account(username=person.cert_number, display_name=person.name,
                          role_name=MEMBER, password=managed_cpa_initial_password(person),
                          now=now, person=person)


def needs_own_mobile(user: User) -> bool:
    """Seed 004 §1: 「首次登录须补充登记本人手机号，并修改登录密码。」"""
    return is_managed_cpa(user) and not user.account.person.phone


def check_own_mobile(person, mobile) -> str:
    """A person's own mobile: valid, and nobody else's (it receives their SMS)."""
    try:
        own = validate_mobile(mobile, "本人手机号")
    except ValidationError as error:
        raise ValidationError(error.message, "mobile") from None
    taken = db.session.query(Person.id).filter(Person.phone == own,
                                               Person.id != person.id).first()
    if taken is not None:
        raise ValidationError("该手机号已被其他人员使用，请填写本人手机号", "mobile")
    return own


def asks_own_mobile(user: User) -> bool:
    """The first login of a 协会代管注册会计师 asks for its mobile: to fill in when missing,
    to confirm (or correct) the one on file otherwise — the appointment SMS goes there."""
    return needs_own_mobile(user) or (is_managed_cpa(user)
                                      and bool(user.account.must_change_password))


def check_password_policy(user: User, new: str, repeat: str,
                          problems: Problems | None = None) -> None:
    """≥ 8 characters, letters and digits, repeated identically, not the initial password.
    Given `problems`, its mistakes join them (the caller raises); else they are raised."""
    found = problems if problems is not None else Problems()
    if new != repeat:
        found.add("repeat", "两次输入的新密码不一致")
    if len(new) < MIN_PASSWORD_LENGTH:
        found.add("new_password", f"新密码至少{MIN_PASSWORD_LENGTH}位")
    elif not (re.search(r"[A-Za-z]", new) and re.search(r"\d", new)):
        found.add("new_password", "新密码须同时包含字母和数字")
    elif is_initial_password(user, new):
        found.add("new_password", "新密码不能与初始密码相同")
    elif user.password and check_password(user.password, new):
        found.add("new_password", "新密码不能与当前密码相同")
    if problems is None:
        found.raise_any()


def _set_password(user: User, new: str, now: dt.datetime) -> None:
    """The new password; every other session and token of the account ends with the old one."""
    user.password = hash_password(new)
    user.changed_on = now.replace(tzinfo=None)
    if user.account is None:
        user.account = Account(must_change_password=False)
    user.account.must_change_password = False
    user.account.password_changed_at = now
    end_sessions(user)


def set_new_password(user: User, new: str, repeat: str, now: dt.datetime) -> None:
    """The policy, then the new password (no commit): 找回密码 after its code was checked."""
    check_password_policy(user, new or "", repeat or "")
    _set_password(user, new, now)


@command
def change_password(user: User, now: dt.datetime, old: str, new: str, repeat: str) -> None:
    """系统管理 → 修改密码 (seed 000 §7, seed 004 §10): 「修改密码输入原密码、新密码、确认新密码，
    验证通过后密码将改为新密码。」"""
    problems = Problems()
    if not verify_password(user, old or ""):
        problems.add("old_password", "旧密码不正确")
    check_password_policy(user, new or "", repeat or "", problems)
    problems.raise_any()
    _set_password(user, new, now)


def needs_contact_info(user: User) -> bool:
    """A firm admin must fill in the firm's contact name and mobile. Seed 004 §1:
    「首次登录须补充登记会计师事务所联系人姓名及手机号，并修改登录密码。」"""
    account = user.account
    if account is None or account.firm is None or FIRM_ADMIN not in role_names(user):
        return False
    return not (account.firm.contact_name and account.firm.contact_phone)


def needs_first_login(user: User) -> bool:
    account = user.account
    return (bool(account and account.must_change_password) or needs_contact_info(user)
            or needs_own_mobile(user))


@command
def complete_first_login(
    user: User,
    now: dt.datetime,
    *,
    new_password: str | None,
    repeat: str | None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    mobile: str | None = None,
) -> None:
    """补充信息: set the firm's contact (firm admins) or one's own mobile (协会代管注册会计师)
    and replace the initial password.

    Every part is checked before anything is saved, so a bad mobile does not leave the
    password half-changed, and every mistake of the form is told at once.
    """
    problems = Problems()
    firm = user.account.firm if needs_contact_info(user) else None
    if firm is not None:
        name = clean_name(contact_name)
        if not name:
            problems.add("contact_name", "请填写联系人姓名")
        elif len(name) > 64:
            problems.add("contact_name", "联系人姓名过长（最多64个字符）")
        with problems.field("contact_phone"):
            try:
                phone = validate_mobile(contact_phone, "联系人手机号")
            except ValidationError as error:  # under this form's field
                raise ValidationError(error.message, "contact_phone") from None
    person = user.account.person if asks_own_mobile(user) else None
    if person is not None:
        with problems.field("mobile"):
            own = check_own_mobile(person, mobile)
    must_change = bool(user.account and user.account.must_change_password)
    if must_change:
        check_password_policy(user, new_password or "", repeat or "", problems)
    problems.raise_any()
    if firm is not None:
        firm.contact_name = name
        firm.contact_phone = phone
    if person is not None:
        person.phone = own
    if must_change:
        _set_password(user, new_password, now)


def reset_to_initial_password(user: User, now: dt.datetime) -> None:
    """重置密码: back to the initial password, to be changed at the next sign-in."""
    account = user.account
    if account is None:
        raise ValidationError("该账号没有初始密码规则，无法重置")
    if account.initial_rule == MOBILE_RULE:
        user.password = None
    elif account.initial_password_hash:
        user.password = account.initial_password_hash
    else:
        raise ValidationError("该账号没有初始密码规则，无法重置")
    account.must_change_password = True
    user.changed_on = now.replace(tzinfo=None)
    end_sessions(user)


def refusal_of_inactive(user: User | None, password: str) -> str | None:
    """What a stopped account is told when its *right* password is typed (else None, and
    the login form says only 无效的用户名或密码: nothing is revealed without the password).

    A person revoked by the firm's roster import (撤销) learns that, and whom to ask: the
    firm's administrator (for a person still of a firm) or the institute.
    """
    if user is None or user.active or not verify_password(user, password or ""):
        return None
    account = user.account
    person = account.person if account is not None else None
    if person is not None and not standing.active(person):  # 撤销
        if person.firm is not None:
            return (f"该账号已撤销（不在{person.firm.name}的从业人员名单中），不能登录。"
                    f"如有疑问，请联系本所管理员恢复，或联系协会工作人员。")
        return "该账号已撤销，不能登录。如有疑问，请联系协会工作人员。"
    return "该账号已停用，不能登录。如有疑问，请联系协会工作人员。"
