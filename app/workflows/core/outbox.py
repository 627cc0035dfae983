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

The states and who moves them are the outbox machine (MACHINE_OF, one per outbox model, the
same transitions): the delivery run claims, marks sent and marks failed; staff 重新发送. The
run moves rows with conditional UPDATEs — the UPDATE is what keeps two runs from sending a
row twice — and writes no 流程跟踪: a row carries its own trace (attempts, claimed_by,
claimed_at, last_error, sent_at), and a history row per attempt of every message would
double the writes of delivery for nothing staff read. 重新发送 asks the machine
(`permits(row, "requeue", actor, now)`) and sets the state it names, likewise without
history.
"""
import datetime as dt
import os
import socket
import uuid

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import OutboxMail, OutboxSms, OutboxStatus, OutboxWechat
from app.workflows.core.states import Guard, Machine, T, institute, system

BACKOFF_BASE = dt.timedelta(minutes=1)  # 1, 2, 4, 8 … minutes
BACKOFF_CAP = dt.timedelta(hours=6)
BATCH_SIZE = 100
STUCK_AFTER = dt.timedelta(minutes=10)  # a 发送中 row older than this lost its sender

S = OutboxStatus
stuck = Guard("stuck", lambda row, actor, now: None if (
    row.claimed_at is not None and row.claimed_at < now - STUCK_AFTER)
    else "正在发送，尚未确认是否送达，请稍后再试")
TRANSITIONS = (
    T("claim", S.PENDING, S.SENDING, "开始发送", who=system),
    T("sent", S.SENDING, S.SENT, "发送成功", who=system),
    T("retry", S.SENDING, S.PENDING, "稍后重试", who=system),
    T("fail", S.SENDING, S.FAILED, "发送失败", who=system),
    T("requeue", S.FAILED, S.PENDING, "重新发送", who=institute),
    # a row left 发送中 by a run that died: staff checked it did not arrive
    T("requeue", S.SENDING, S.PENDING, "重新发送", who=institute, guards=[stuck]),
)
MACHINE_OF = {model: Machine(model.__tablename__, model, TRANSITIONS, labels=S.LABELS)
            for model in (OutboxMail, OutboxSms, OutboxWechat)}
TARGET = {t.event: t.target for t in TRANSITIONS}  # the state each step of a run sets
COUNTED_AS = {"retry": "retry", "fail": "failed"}  # a failed attempt in a run's counts


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
        .values(status=TARGET["claim"], claimed_by=token, claimed_at=now)
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
        .values(status=TARGET["sent"], sent_at=now, attempts=model.attempts + 1,
                last_error=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_failed(model, row_id: int, attempts_before: int, token: str, now: dt.datetime,
                error: str, max_attempts: int, final: bool = False,
                retry_at: dt.datetime | None = None, describe=None) -> str:
    """One failed attempt: back to 待发送 after a back-off (or at `retry_at`), or 发送失败
    for good (after max_attempts, or at once when `final`: an error no retry can mend).
    `describe(error, attempts, max_attempts, next_attempt_at)` words the error for staff.
    Returns the step taken, "retry" or "fail" (for `count`)."""
    attempts = (attempts_before or 0) + 1
    if final or attempts >= max_attempts:
        event, values = "fail", {"status": TARGET["fail"]}
    else:
        event, values = "retry", {"status": TARGET["retry"],
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
    return event


def count(counts: dict, event: str) -> None:
    """Tally one failed attempt (the step `mark_failed` took) as retry or failed."""
    key = COUNTED_AS[event]
    counts[key] = counts.get(key, 0) + 1


def stuck_count(model, now: dt.datetime) -> int:
    """发送中 rows whose sender has not finished for STUCK_AFTER: shown to staff."""
    found = db.session.scalar(
        select(func.count(model.id)).where(model.status == OutboxStatus.SENDING,
                                           model.claimed_at < now - STUCK_AFTER))
    db.session.rollback()
    return found or 0


def is_stuck(row, now: dt.datetime) -> bool:
    """发送中 (a run has yet to mark it) for longer than STUCK_AFTER."""
    return (MACHINE_OF[type(row)].state_allows(row, "sent")
            and stuck(row, None, now) is None)


def requeue_rows(rows, actor, now: dt.datetime) -> int:
    """重新发送: the rows the machine lets `actor` requeue — 发送失败, and 发送中 rows stuck
    for STUCK_AFTER that staff checked — back to 待发送 with a fresh count of attempts (no
    history: see the module's docstring); the others are left as they are."""
    requeued = 0
    for row in rows:
        if MACHINE_OF[type(row)].permits(row, "requeue", actor, now):
            row.status = TARGET["requeue"]
            row.attempts = 0
            row.next_attempt_at = now
            requeued += 1
    return requeued
