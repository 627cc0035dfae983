"""Audit log (审计日志): who changed what, from which state to which, when."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.types import UTCDateTime


class AuditLog(Model):
    """One row per created, changed or deleted audited entity. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(index=True)  # no FK: the log outlives users
    username: Mapped[Optional[str]] = mapped_column(String(128))
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[Optional[str]] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    from_state: Mapped[Optional[str]] = mapped_column(String(64))
    to_state: Mapped[Optional[str]] = mapped_column(String(64))
    changes: Mapped[Optional[str]] = mapped_column(Text)  # JSON {field: [from, to]}
