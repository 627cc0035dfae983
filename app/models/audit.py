"""Audit log (审计日志) and status history (流程跟踪): who changed what, when."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.scope import Scope
from app.models.types import UTCDateTime


class AuditLog(Model):
    """One row per created, changed or deleted audited entity. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),
                      # 审计日志 filtered by 操作人, newest first
                      Index("ix_audit_log_username_at", "username", "at"))
    __scope__ = Scope.institute_only()

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


class StatusHistory(Model):
    """Every transition of every state machine (流程跟踪): from, to, event, who, remark, when.

    Written by the core machine in the transaction of the change; append-only. Readers see
    it through the entity it belongs to (its own scope), never on its own.
    """

    __tablename__ = "status_history"
    __table_args__ = (Index("ix_status_history_entity", "entity", "entity_id", "id"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(48), nullable=False)  # the machine's name
    entity_id: Mapped[int] = mapped_column(nullable=False)
    event: Mapped[str] = mapped_column(String(32), nullable=False)
    from_state: Mapped[Optional[str]] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[Optional[int]] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False)
    remark: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
