"""找回密码: a one-time code texted to the account's registered mobile (through the SMS
gateway, app/workflows/core/sms.py) and mailed to its bound address, where it has them.

Seed 004 §2 resets with the *initial* password — 「如果忘记登录密码，可以在登录页点击“找回密码”，
输入账号、初始密码、新密码、确认新密码，可完成密码重置。」 — which anyone knowing a firm's code (or a
person's mobile) could use; here the proof is a code sent to the address the user bound
(设置 → 邮箱绑定) or the mobile registered for it: a person's 手机号 in the registry or roster,
a firm admin's 联系人手机号 (filled in at first login). Both carry the same one code.

- Asking for a code answers the same whatever the login (no account enumeration):
  unknown logins, inactive accounts and accounts with neither a mobile nor a bound
  address get nothing, and the page says the same for all.
- At most CODES_PER_HOUR codes per account per hour; only the latest one works;
  15 minutes, single use, MAX_ATTEMPTS wrong tries (see app/workflows/codes.py).
  Per-IP limits are the view's (Flask-Limiter).
- A successful reset applies the password policy, clears must_change_password and
  retires every outstanding code of the account.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.workflows.core import audit, standing
from app.extensions import db
from app.models import CodePurpose, Firm, Person
from app.roles import FIRM_ADMIN
from app.workflows import accounts
from app.workflows.accounts import codes
from app.workflows.accounts.logins import resolve_login
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, Problems, ValidationError
from app.workflows.core.institute import identity
from app.workflows.core.mail import queue_mail
from app.workflows.core.scoping import get_scoped, is_institute, role_names
from app.workflows.core.sms import send_sms
from app.workflows.messages.notify import notify
from app.workflows.registry import transfers

CODES_PER_HOUR = 3
BAD_CODE = "验证码不正确或已失效，请重新获取"


def find_account(login) -> User | None:
    """The active user of a typed 用户名, resolved as the login form does
    (`logins.resolve_login`: login name, or a CPA's / 非执业会员's certificate number)."""
    user = resolve_login(login)
    if user is None or not user.active:
        return None
    return user


ANONYMOUS = "匿名用户（找回密码）"  # the actor of the public 找回密码 pages


def registered_mobile(user: User | None) -> str | None:
    """The mobile an account's codes go to: a person's own 手机号, or for a firm admin the
    firm's 联系人手机号. Staff and admins have none (they ask an administrator)."""
    account = user.account if user is not None else None
    if account is None:
        return None
    if account.person is not None:
        return account.person.phone or None
    if account.firm is not None and FIRM_ADMIN in role_names(user):
        return account.firm.contact_phone or None
    return None


@command
def request_code(actor, now: dt.datetime, login) -> None:
    """Text (and mail) a reset code to the registered mobile (and bound address) of
    `login`, where it has them. Says nothing either way."""
    if not (login or "").strip():
        raise ValidationError("请填写账号", "login")
    user = find_account(login)
    email = user.account.notify_email if user is not None and user.account else None
    mobile = registered_mobile(user)
    if email is None and mobile is None:
        codes.burn_time()
        return
    since = now - dt.timedelta(hours=1)
    if codes.issued_since(user.id, CodePurpose.RESET_PASSWORD, since) >= CODES_PER_HOUR:
        codes.burn_time()
        return
    code = codes.issue(user.id, CodePurpose.RESET_PASSWORD, now, email=email)
    doing = f"找回账号 {user.username} 的密码"
    if mobile is not None:
        codes.text_issued(code, mobile, now, doing=doing)
    if email is not None:
        codes.mail_issued(code, email, now, subject="找回密码验证码", doing=doing,
                          closing="您的密码不会改变。")


@command
def reset_password(actor, now: dt.datetime, login, code, new_password, repeat) -> User:
    """Set a new password with a mailed code. The code is checked before the policy,
    so the policy's messages (e.g. "same as the current password") tell nothing to
    someone without the code. A wrong code counts as an attempt (kept); a refused new
    password leaves the code usable for a better one (rolled back)."""
    problems = Problems()
    if not (login or "").strip():
        problems.add("login", "请填写账号")
    if not (code or "").strip():
        problems.add("code", "请填写验证码")
    problems.raise_any()
    user = find_account(login)
    row = codes.live(user.id, CodePurpose.RESET_PASSWORD, now) if user is not None else None
    if row is None:
        raise ValidationError(BAD_CODE, "code")
    if not codes.matches(row, code, now):
        raise ValidationError(BAD_CODE, "code", keep_changes=True)  # the attempt counts
    with audit.acting_as(f"{user.username}（找回密码）"):
        accounts.set_new_password(user, new_password, repeat, now)
        codes.retire(user.id, CodePurpose.RESET_PASSWORD, now)
        told = f"账号 {user.username} 的密码已通过找回密码重置。如非本人操作，请立即联系协会工作人员。"
        if row.email:
            queue_mail(row.email, "【注协业务管理系统】密码已重置", f"您好：\n\n{told}\n", now)
        mobile = registered_mobile(user)
        if mobile:
            send_sms(mobile, identity().sms_prefix + told, now)
    return user


# --- 重置密码 by staff (and by a firm admin for its own people) ---------------------------

def _reset(user: User | None, now: dt.datetime, missing: str) -> None:
    if user is None:
        raise ValidationError(missing)
    accounts.reset_to_initial_password(user, now)
    codes.retire(user.id, CodePurpose.RESET_PASSWORD, now)


@command
def reset_firm_admin(actor: User, now: dt.datetime, firm_id) -> None:
    """Staff put a firm's admin account P+code back to its initial password (编号后六位)."""
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以重置事务所管理员的密码")
    firm = get_scoped(db.session, Firm, firm_id, actor, "事务所不存在")

    user = db.session.query(User).filter_by(username=firm.admin_username).one_or_none()
    _reset(user, now, "该事务所没有管理员账号")
    text = (f"协会工作人员已将事务所管理员账号 {user.username} 的密码重置为初始密码"
            f"（事务所编号后六位），下次登录须修改。")
    notify([user], "【账号安全】密码已重置", text, now)
    if firm.contact_phone:
        send_sms(firm.contact_phone, identity().sms_prefix + text, now)


@command
def reset_person_account(actor: User, now: dt.datetime, person_id) -> None:
    """Staff (any person) or a firm admin (its own firm's people) reset a person's account
    to its initial password.

    A firm admin may not reset (security issue: account takeover) the account of a
    person who moved to its firm in the last 30 days, nor of one who chose its own
    password and is not on the firm's roster. The person is always told: a system
    message, mail where an address is bound, and an SMS to its mobile.
    """
    person = get_scoped(db.session, Person, person_id, actor, "人员不存在")
    own_firm = (FIRM_ADMIN in role_names(actor) and actor.account is not None
                and actor.account.firm_id is not None
                and person.firm_id == actor.account.firm_id)
    if not (is_institute(actor) or own_firm):
        raise ForbiddenError("只能重置本事务所人员的密码")
    account = getattr(person, "account", None)
    if not is_institute(actor) and account is not None:
        if transfers.recently_joined(account, now):
            raise ForbiddenError("该人员近30天内转入本所，不能由事务所重置密码，请联系协会")
        on_roster = person.imported_at is not None and standing.active(person)
        if account.password_changed_at is not None and not on_roster:
            raise ForbiddenError("该人员已自行设置密码且不在本所从业人员名单中，不能由事务所重置，"
                                 "请联系协会")
    user = account.user if account is not None else None
    _reset(user, now, "该人员没有登录账号")
    who = "协会工作人员" if is_institute(actor) else "您所在事务所的管理员"
    text = (f"{who}已将您的账号 {user.username} 的密码重置为初始密码，下次登录须修改。"
            f"如非您本人要求，请立即联系协会。")
    notify([user], "【账号安全】密码已重置", text, now)
    if person.phone:
        send_sms(person.phone, identity().sms_prefix + text, now)
