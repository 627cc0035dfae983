"""One notify, several channels (issue 27 §5). A message of one kind (系统消息 = 进度提醒,
协会通知, 咨询消息) always lands in the 消息中心; beyond it, each user chooses in 设置 ›
通知方式 which channels it also reaches — 邮件, 短信, 微信 — among those the user has
bound (a bound e-mail, a mobile on file, a bound WeChat). Without a choice: e-mail and
WeChat where bound, no SMS (texts cost money and are kept for what the manuals send by
SMS). Each channel gets one outbox row per message, written in the caller's transaction,
and its delivery job sends it exactly once (app/workflows/core/outbox.py).
"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import MessageKind, NotifyPreference
from app.workflows.core import wechat
from app.workflows.core.commands import command
from app.workflows.core.errors import Problems, ValidationError
from app.workflows.core.mail import queue_mail
from app.workflows.core.sms import send_sms
from app.workflows.core.institute import identity

MAIL, SMS, WECHAT = "mail", "sms", "wechat"
CHANNELS = {MAIL: "邮件", SMS: "短信", WECHAT: "微信"}
DEFAULT = {MAIL, WECHAT}
KIND_LABELS = {MessageKind.SYSTEM: "业务进度提醒", MessageKind.NOTICE: "协会通知",
               MessageKind.CONSULTATION: "咨询消息"}


def mobile_of(user) -> str | None:
    """A member's own mobile; a firm admin's contact mobile."""
    account = getattr(user, "account", None)
    if account is None:
        return None
    if account.person is not None:
        return account.person.phone
    if account.firm is not None:
        return account.firm.contact_phone
    return None


def bound(user) -> set[str]:
    """The channels this user can be reached on."""
    account = getattr(user, "account", None)
    found = set()
    if account is not None and account.notify_email:
        found.add(MAIL)
    if mobile_of(user):
        found.add(SMS)
    if account is not None and account.wechat_openid and wechat.configured():
        found.add(WECHAT)
    return found


def chosen(user, kind: str) -> set[str]:
    """What the user chose for this kind (DEFAULT when never chosen)."""
    row = db.session.scalar(select(NotifyPreference).where(
        NotifyPreference.user_id == user.id, NotifyPreference.kind == kind))
    if row is None:
        return set(DEFAULT)
    return {c for c in row.channels.split(",") if c in CHANNELS}


def preferences(user) -> dict[str, set[str]]:
    return {kind: chosen(user, kind) for kind in MessageKind.ALL}


def send(user, kind: str, title: str, body_text: str, now: dt.datetime,
         link: str | None = None, attachments=()) -> list[str]:
    """Queue the message on every channel the user chose and bound, once each; returns the
    channels used (the 系统消息 itself is the caller's). `attachments` (mail.Attachment, a
    calendar invitation) travel with the mail only."""
    account = getattr(user, "account", None)
    if account is None:
        return []
    used = []
    for channel in sorted(chosen(user, kind) & bound(user)):
        if channel == MAIL:
            queue_mail(account.notify_email, title, body_text, now, attachments=attachments)
        elif channel == SMS:
            try:
                send_sms(mobile_of(user), (identity().sms_prefix + title)[:70], now)
            except ValidationError:
                continue  # a mobile on file that is not a mobile: the inbox still has it
        elif channel == WECHAT:
            wechat.queue_template(user, kind, title, body_text, now, link)
        used.append(channel)
    return used


@command
def save_preferences(actor, now: dt.datetime, choices: dict) -> dict[str, set[str]]:
    """设置 › 通知方式: {kind: [channel, …]} for the actor's own account (every kind's
    unknown channel is told at once; nothing is saved then)."""
    problems = Problems()
    for kind in MessageKind.ALL:
        unknown = [c for c in (choices.get(kind) or []) if c not in CHANNELS]
        if unknown:
            problems.add(kind, f"{KIND_LABELS[kind]}：未知的通知方式“{unknown[0]}”")
    problems.raise_any()
    for kind in MessageKind.ALL:
        wanted = [c for c in (choices.get(kind) or []) if c in CHANNELS]
        row = db.session.scalar(select(NotifyPreference).where(
            NotifyPreference.user_id == actor.id, NotifyPreference.kind == kind))
        if row is None:
            row = NotifyPreference(user_id=actor.id, kind=kind)
            db.session.add(row)
        row.channels = ",".join(sorted(wanted))
    db.session.flush()
    return preferences(actor)
