"""One-time verification codes (验证码) mailed to an address or texted to a mobile:
找回密码 and 邮箱绑定.

A code is random, 6 digits, stored only as a salted hash, valid 15 minutes, used
once, and burnt after a few wrong tries. Only the latest code of a user and purpose
is live: issuing a new one retires the ones before it.
"""
import datetime as dt
import secrets

from sqlalchemy import func

from app.extensions import db
from app.models import PasswordResetCode
from app.passwords import check_password, hash_password
from app.workflows.core.institute import identity
from app.workflows.core.mail import queue_mail
from app.workflows.core.sms import send_sms

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=15)
MAX_ATTEMPTS = 5  # wrong entries before a code is burnt


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def issued_since(user_id: int, purpose: str, since: dt.datetime) -> int:
    """How many codes of this purpose the user was sent since `since` (rate limit)."""
    return db.session.query(func.count(PasswordResetCode.id)).filter(
        PasswordResetCode.user_id == user_id,
        PasswordResetCode.purpose == purpose,
        PasswordResetCode.created_at > since,
    ).scalar()


def retire(user_id: int, purpose: str, now: dt.datetime) -> None:
    """Every outstanding code of this user and purpose stops working."""
    db.session.query(PasswordResetCode).filter(
        PasswordResetCode.user_id == user_id,
        PasswordResetCode.purpose == purpose,
        PasswordResetCode.used_at.is_(None),
    ).update({PasswordResetCode.used_at: now}, synchronize_session="fetch")


def issue(user_id: int, purpose: str, now: dt.datetime, email: str | None = None) -> str:
    """A fresh code (returned in clear, to be mailed; only its hash is kept)."""
    retire(user_id, purpose, now)
    code = new_code()
    db.session.add(PasswordResetCode(
        user_id=user_id, purpose=purpose, email=email, code_hash=hash_password(code),
        created_at=now, expires_at=now + CODE_TTL, attempts=0,
    ))
    return code


def live(user_id: int, purpose: str, now: dt.datetime) -> PasswordResetCode | None:
    """The user's current code of this purpose, if unused, unexpired and not burnt."""
    return db.session.query(PasswordResetCode).filter(
        PasswordResetCode.user_id == user_id,
        PasswordResetCode.purpose == purpose,
        PasswordResetCode.used_at.is_(None),
        PasswordResetCode.expires_at > now,
        PasswordResetCode.attempts < MAX_ATTEMPTS,
    ).order_by(PasswordResetCode.id.desc()).with_for_update().first()


def matches(row: PasswordResetCode, code: str, now: dt.datetime) -> bool:
    """Check an entered code; a wrong one counts, and the last allowed wrong one burns it."""
    if check_password(row.code_hash, (code or "").strip()):
        return True
    row.attempts = (row.attempts or 0) + 1
    if row.attempts >= MAX_ATTEMPTS:
        row.used_at = now
    return False


def burn_time() -> None:
    """Spend about as long as issuing a code, so that an unknown account answers as slowly
    as a known one (no account enumeration by timing)."""
    hash_password(new_code())


def mail_code(user, purpose: str, email: str, now: dt.datetime, *, subject: str, doing: str,
              closing: str = "") -> None:
    """Issue a code and queue the mail that carries it (the caller commits both)."""
    mail_issued(issue(user.id, purpose, now, email=email), email, now, subject=subject,
                doing=doing, closing=closing)


def text_issued(code: str, mobile: str, now: dt.datetime, *, doing: str) -> None:
    """Queue an issued code as an SMS through the gateway (default: the outbox_sms table)."""
    minutes = int(CODE_TTL.total_seconds() // 60)
    send_sms(mobile, f"{identity().sms_prefix}您正在{doing}，验证码：{code}，{minutes}分钟内有效，仅可使用一次。"
                     f"如非本人操作，请忽略本短信。", now, kind="验证码", params=[code, minutes])


def mail_issued(code: str, email: str, now: dt.datetime, *, subject: str, doing: str,
                closing: str = "") -> None:
    """Queue the mail that carries an issued code."""
    minutes = int(CODE_TTL.total_seconds() // 60)
    queue_mail(
        email, f"【注协业务管理系统】{subject}",
        f"您好：\n\n您正在{doing}，验证码为：{code}\n"
        f"验证码{minutes}分钟内有效，仅可使用一次。如非本人操作，请忽略本邮件。{closing}\n",
        now,
    )
