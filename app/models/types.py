"""Column types shared by the domain models."""
import datetime as dt
from typing import Optional

from sqlalchemy import String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC).

    SQLite keeps no zone, so the column holds UTC by convention and every value
    read back carries tzinfo=UTC; display converts to Asia/Shanghai.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Reviewable:
    """What every row the institute decides carries: its `status` (on the entity's state
    machine), the decision's `remark`, when and by whom it was decided, and a `version`
    so that two staff deciding it at once cannot both win (the first commit does, the
    second gets ConflictError).

        class InhouseClass(Reviewable, Model):
            __status_default__ = ReviewStatus.PENDING
    """

    __status_default__: str
    __status_length__: int = 16  # a stable code ("approved"); pages show its label

    @declared_attr
    def status(cls) -> Mapped[str]:
        return mapped_column(String(cls.__status_length__), nullable=False,
                             default=cls.__status_default__)

    remark: Mapped[Optional[str]] = mapped_column(String(200))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column()
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}
