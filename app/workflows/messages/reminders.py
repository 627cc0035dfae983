"""Reminders: idempotent by construction (the reminder log's unique key)."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User

from app.workflows.core.bulk import upsert_insert
from app.extensions import db
from app.models import Message, MessageKind, ReminderLog
from app.workflows.messages.notify import notify


def _insert_log(row: dict) -> bool:
    statement = upsert_insert(ReminderLog.__table__).values(**row).on_conflict_do_nothing(
        index_elements=["user_id", "kind", "target", "threshold"]
    ).returning(ReminderLog.__table__.c.id)
    return db.session.execute(statement).first() is not None


def remind(user: User, kind: str, target, thresholds_due, now: dt.datetime, title: str,
           body: str, link: str | None = None) -> Message | None:
    """Send the latest due reminder once; record the earlier due ones as superseded.

    thresholds_due: the thresholds that have fallen due, in order (earliest first), e.g.
    ["30天", "7天"]. The log's unique key (user, kind, target, threshold) makes a second
    run, a concurrent run or a catch-up after downtime send nothing more: only the run
    whose insert of the latest threshold succeeds sends it. Returns the message sent, if any.
    """
    thresholds = [str(t) for t in thresholds_due]
    if not thresholds:
        return None
    target = str(target)
    latest = thresholds[-1]
    base = {"user_id": user.id, "kind": kind, "target": target, "sent_at": now}
    if not _insert_log({**base, "threshold": latest, "superseded": False}):
        return None
    for threshold in thresholds[:-1]:
        _insert_log({**base, "threshold": threshold, "superseded": True})
    return notify([user], title, body, now, kind=MessageKind.SYSTEM, link=link)[0]
