"""Outbox delivery, one mechanism for every channel (mail, SMS, WeChat; issue 27).

A message is a row written in the transaction of its cause; a delivery job sends it. Each
outbox model has the columns status, attempts, next_attempt_at, claimed_by, claimed_at,
last_error and sent_at (app/models/outbox.py: OutboxColumns). Delivery never sends one
row twice:
- a run first *claims* due rows with one conditional UPDATE (待发送 → 发送中, stamped with
  a token unique to the run); a row is only sent by the run whose token it bears, so two
  runs at the same time split the rows instead of both sending them;
- each row is marked 已发送 in its own commit right after the provider accepted it;
- a row left 发送中 (its process died between sending and marking) is never picked up
  again automatically — it may or may not have gone out. It counts as "stuck" and staff
  may 重新发送 it after checking.
A failed attempt puts the row back to 待发送 with an exponential back-off; after
max_attempts attempts it becomes 发送失败 with the last error.
"""
import datetime as dt
import os
import socket
import uuid

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import OutboxStatus

BACKOFF_BASE = dt.timedelta(minutes=1)  # 1, 2, 4, 8 … minutes
BACKOFF_CAP = dt.timedelta(hours=6)
BATCH_SIZE = 100
STUCK_AFTER = dt.timedelta(minutes=10)  # a 发送中 row older than this lost its sender


def run_token() -> str:
    """Unique to one delivery run (host, process, random)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def backoff(attempts: int, base: dt.timedelta = BACKOFF_BASE,
            cap: dt.timedelta = BACKOFF_CAP) -> dt.timedelta:
    """Wait before attempt `attempts + 1`: base · 2^(attempts-1), at most `cap`."""
    return min(base * (2 ** max(attempts - 1, 0)), cap)


def error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def due_ids(model, now: dt.datetime, limit: int) -> list[int]:
    return db.session.scalars(
        select(model.id)
        .where(model.status == OutboxStatus.PENDING, model.next_attempt_at <= now)
        .order_by(model.next_attempt_at, model.id).limit(limit)
    ).all()


def claim_due(model, now: dt.datetime, token: str, limit: int = BATCH_SIZE) -> list:
    """Claim up to `limit` due rows of `model` for the run `token`; only rows this call won."""
    candidates = due_ids(model, now, limit)
    if not candidates:
        db.session.rollback()
        return []
    # The condition is checked again by the UPDATE itself: a row another run claimed
    # between the SELECT and here is no longer 待发送 and is left alone.
    db.session.execute(
        update(model)
        .where(model.id.in_(candidates), model.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_by=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(
        select(model).where(model.claimed_by == token, model.status == OutboxStatus.SENDING)
        .order_by(model.id)
    ))


def mark_sent(model, row_id: int, token: str, now: dt.datetime, **values) -> None:
    """The provider accepted the row: 已发送, in its own commit (`values`: e.g. its id there)."""
    db.session.execute(
        update(model).where(model.id == row_id, model.claimed_by == token,
                            model.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.SENT, sent_at=now, attempts=model.attempts + 1,
                last_error=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_failed(model, row_id: int, attempts_before: int, token: str, now: dt.datetime,
                error: str, max_attempts: int, final: bool = False,
                retry_at: dt.datetime | None = None, describe=None) -> str:
    """One failed attempt: back to 待发送 after a back-off (or at `retry_at`), or 发送失败
    for good (after max_attempts, or at once when `final`: an error no retry can mend).
    `describe(error, attempts, max_attempts, next_attempt_at)` words the error for staff."""
    attempts = (attempts_before or 0) + 1
    if final or attempts >= max_attempts:
        values = {"status": OutboxStatus.FAILED}
    else:
        values = {"status": OutboxStatus.PENDING,
                  "next_attempt_at": retry_at or now + backoff(attempts)}
    if describe is not None:
        error = describe(error, attempts, max_attempts, values.get("next_attempt_at"))
    db.session.execute(
        update(model).where(model.id == row_id, model.claimed_by == token,
                            model.status == OutboxStatus.SENDING)
        .values(attempts=attempts, last_error=error[:2000], **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return values["status"]


def count(counts: dict, status: str) -> None:
    """Tally one failed attempt as retry or failed in a run's counts."""
    key = "failed" if status == OutboxStatus.FAILED else "retry"
    counts[key] = counts.get(key, 0) + 1


def stuck_count(model, now: dt.datetime) -> int:
    """发送中 rows whose sender has not finished for STUCK_AFTER: shown to staff."""
    found = db.session.scalar(
        select(func.count(model.id)).where(model.status == OutboxStatus.SENDING,
                                           model.claimed_at < now - STUCK_AFTER))
    db.session.rollback()
    return found or 0


def is_stuck(row, now: dt.datetime) -> bool:
    return (row.status == OutboxStatus.SENDING and row.claimed_at is not None
            and row.claimed_at < now - STUCK_AFTER)


def requeue_rows(rows, now: dt.datetime) -> int:
    """重新发送: 发送失败 rows (and stuck 发送中 rows staff checked) back to 待发送."""
    requeued = 0
    for row in rows:
        if row.status == OutboxStatus.FAILED or is_stuck(row, now):
            row.status = OutboxStatus.PENDING
            row.attempts = 0
            row.next_attempt_at = now
            requeued += 1
    return requeued
