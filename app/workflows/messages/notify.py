"""系统消息: the one way a workflow tells a user something (seed 004 §7 【进度提醒】).

    notify(users, title, body, now)   # a Message per recipient, and mail / SMS / WeChat
                                      # as each user bound and chose (messages/channels.py)

Only adds to the session: the caller's command commits the messages (and their mails)
together with the event that caused them.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Message, MessageKind
from app.workflows.messages import channels

ALLOWED_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "s", "sub", "sup", "h1", "h2", "h3", "h4",
    "ul", "ol", "li", "blockquote", "pre", "code", "a", "span", "div", "table", "thead",
    "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}


def sanitize_html(html: str) -> str:
    """Rich text a notice may carry: formatting and links, never scripts or handlers."""
    import nh3

    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"})


def plain_text(html: str) -> str:
    import nh3

    return nh3.clean(html or "", tags=set()).strip()


def message_row(user: User, kind: str, title: str, body: str, now: dt.datetime,
                link: str | None = None, notice_id: int | None = None) -> dict:
    account = getattr(user, "account", None)
    return {"user_id": user.id, "firm_id": account.firm_id if account else None,
            "person_id": account.person_id if account else None, "kind": kind,
            "title": title[:200], "body": body, "link": link, "notice_id": notice_id,
            "created_at": now, "read_at": None}


def mail_if_bound(user: User, title: str, body: str, now: dt.datetime,
                  kind: str = MessageKind.SYSTEM, link: str | None = None,
                  attachments=()) -> list[str]:
    """Beyond the inbox: every channel the user bound and chose for this kind (mail, SMS,
    WeChat; app/workflows/messages/channels.py). The name is kept for its callers.
    `attachments` (app.workflows.core.mail.Attachment) go with the mail only."""
    return channels.send(user, kind, title, plain_text(body), now, link, attachments)


def notify(users, title: str, body: str, now: dt.datetime, kind: str = MessageKind.SYSTEM,
           link: str | None = None, attachments=()) -> list[Message]:
    """One Message per recipient, and a queued e-mail for those who bound an address
    (carrying `attachments`, e.g. a calendar invitation, when given)."""
    if kind not in MessageKind.ALL:
        raise ValueError(kind)
    messages = []
    for user in users:
        if user is None:
            continue
        message = Message(**message_row(user, kind, title, body, now, link))
        db.session.add(message)
        messages.append(message)
        mail_if_bound(user, title, body, now, kind=kind, link=link, attachments=attachments)
    return messages
