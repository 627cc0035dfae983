"""Seats of a class: never more taken than the capacity, even when 50 requests for the last
seats arrive at once.

Every change of a class's seats (an enrollment, a bulk enrollment, a deletion, a rejection,
a waiting-list offer, a capacity change) first bumps `training_class.seat_lock` with one
UPDATE, in the command's transaction, before it counts. That write serialises them: on
PostgreSQL the row lock makes the second transaction wait until the first has committed,
and its count (READ COMMITTED: a fresh snapshot per statement) then sees the first one's
rows; on SQLite the first write takes the database's write lock (the driver opens the
transaction at the first write, so nothing was read before it under an older snapshot).
The unique (class_id, dedupe_key) constraint stays as the last guard against a double
enrollment."""
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Enrollment, EnrollmentStatus, TrainingClass


def lock_class(class_id: int) -> None:
    """Take the class's seat lock until the transaction ends."""
    db.session.execute(
        update(TrainingClass).where(TrainingClass.id == class_id)
        .values(seat_lock=TrainingClass.seat_lock + 1)
        .execution_options(synchronize_session=False))


def taken(class_id: int) -> int:
    """Enrollments holding a seat (未审核 and 审核通过), counted now."""
    return db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.class_id == class_id,
        Enrollment.status.in_(EnrollmentStatus.HOLDS_SEAT))) or 0
