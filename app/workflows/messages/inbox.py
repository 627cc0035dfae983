"""消息中心 inbox: a user's own messages, read state, and the red dot's counts."""
import datetime as dt

from sqlalchemy import func, select

from app.extensions import db
from app.models import Consultation, Message, MessageKind
from app.workflows.core.commands import command
from app.workflows.core.scoping import get_scoped, scoped_select
from app.workflows.messages.consultations import awaiting_condition


def inbox_query(user, kind: str | None = None):
    """The user's own messages (newest first): Message's scope is its owner, staff too."""
    query = scoped_select(Message, user)
    if kind:
        query = query.where(Message.kind == kind)
    return query.order_by(Message.created_at.desc(), Message.id.desc())


def get_message(user, message_id) -> Message:
    return get_scoped(db.session, Message, message_id, user, "消息不存在")


@command
def mark_read(user, now: dt.datetime, message_id) -> Message:
    """Opening a message marks it read (once: the first reading time stays)."""
    message = get_message(user, message_id)
    if message.read_at is None:
        message.read_at = now
    return message


def unread_counts(user) -> dict[str, int]:
    """Unread per kind; for consultations, the ones awaiting this user's side."""
    counts = {kind: 0 for kind in MessageKind.ALL}
    if user is None or not getattr(user, "is_authenticated", False):
        return counts
    rows = db.session.execute(
        select(Message.kind, func.count()).where(Message.user_id == user.id,
                                                 Message.read_at.is_(None))
        .group_by(Message.kind)).all()
    for kind, count in rows:
        if kind in counts and kind != MessageKind.CONSULTATION:
            counts[kind] = count
    counts[MessageKind.CONSULTATION] = db.session.scalar(
        select(func.count()).select_from(Consultation).where(awaiting_condition(user))) or 0
    return counts
