"""Seats of a class: never more taken than the capacity, even when 50 requests for the last
seats arrive at once; and the seats the waiting list holds.

Every change of a class's seats (an enrollment, a bulk enrollment, a deletion, a rejection,
a waiting-list offer, a capacity change) first bumps `training_class.seat_lock` with one
UPDATE, in the command's transaction, before it counts. That write serialises them: on
PostgreSQL the row lock makes the second transaction wait until the first has committed,
and its count (READ COMMITTED: a fresh snapshot per statement) then sees the first one's
rows; on SQLite the first write takes the database's write lock (the driver opens the
transaction at the first write, so nothing was read before it under an older snapshot).
The unique (class_id, dedupe_key) constraint stays as the last guard against a double
enrollment.

The free seats of a class are its capacity less the enrollments holding a seat and the live
waiting-list offers (a seat held for 48 hours for the first in line). The SQL conditions of
the waiting list's states live here, beside the counts that use them; the waiting list's
machine (waitlist.py) reads the same states from the timestamps, a test keeps them equal.

This module is the bottom of the training modules. It announces, and those above subscribe
(declared in the training DOMAIN's `hooks`):
- SEAT_FREED (class, actor, now): a seat may have freed (a deletion, a rejection, a raised
  capacity) — the waiting list offers it to the next in line;
- OFFER_TAKEN (entry, enrollment, actor, now): an enrollment used the actor's live offer —
  the waiting list records the offer accepted."""
from sqlalchemy import and_, func, select, update

from app.extensions import db
from app.models import Enrollment, TrainingClass, WaitlistEntry as W
from app.workflows.core.acting import acting_condition
from app.workflows.core.hooks import Hook
from app.workflows.training.states import MACHINE

SEAT_FREED = Hook("training.seat_freed")
OFFER_TAKEN = Hook("training.offer_taken")


def lock_class(class_id: int) -> None:
    """Take the class's seat lock until the transaction ends."""
    db.session.execute(
        update(TrainingClass).where(TrainingClass.id == class_id)
        .values(seat_lock=TrainingClass.seat_lock + 1)
        .execution_options(synchronize_session=False))


def holds_seat():
    """The SQL condition of the enrollments holding a seat (未审核 and 审核通过)."""
    return Enrollment.status.in_(MACHINE.states_for("hold_seat"))


def taken(class_id: int) -> int:
    """Enrollments holding a seat, counted now."""
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.class_id == class_id, holds_seat())) or 0


# --- the waiting list's states as SQL -------------------------------------------------------

def live(now):
    """Offered, neither answered nor expired: the seat is held (待确认)."""
    return and_(W.offered_at.is_not(None), W.accepted_at.is_(None), W.declined_at.is_(None),
                W.offer_expires_at > now)


def waiting():
    """Not yet offered nor answered (候补中)."""
    return and_(W.offered_at.is_(None), W.accepted_at.is_(None), W.declined_at.is_(None))


def held_offers(class_ids, now, actor=None) -> dict[int, int]:
    """Live offers per class (only those the actor answers, when given)."""
    ids = list(class_ids)
    if not ids:
        return {}
    query = select(W.class_id, func.count()).where(W.class_id.in_(ids), live(now))
    if actor is not None:
        query = query.where(acting_condition(W, actor))
    return dict(db.session.execute(query.group_by(W.class_id)).all())


def held_count(class_id: int, now) -> int:
    return held_offers([class_id], now).get(class_id, 0)


def free(item: TrainingClass, now) -> int:
    """Seats a newcomer may take now (the caller holds the seat lock to rely on it)."""
    return item.capacity - taken(item.id) - held_count(item.id, now)


def waiting_counts(class_ids, now) -> dict[int, int]:
    ids = list(class_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(W.class_id, func.count()).where(
        W.class_id.in_(ids), waiting()).group_by(W.class_id)).all())


def live_offer_of(actor, class_id: int, now) -> W | None:
    """The actor's own live offer for the class (a seat held for it), if any."""
    return db.session.scalars(select(W).where(
        W.class_id == class_id, acting_condition(W, actor), live(now))
        .order_by(W.offered_at)).first()
