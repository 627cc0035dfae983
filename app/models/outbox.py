"""Outboxes: every e-mail and SMS, written in the transaction of its cause.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.scope import Scope
from app.models.types import UTCDateTime


class OutboxStatus:
    PENDING = "待发送"
    SENDING = "发送中"
    SENT = "已发送"
    FAILED = "发送失败"


class OutboxMail(Model):
    """Every e-mail, queued in the transaction of the event that caused it."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class OutboxSms(Model):
    """Every SMS, written by the gateway interface (workflows/sms.py) in the caller's
    transaction. No SMS provider is reachable here: the default gateway is this table,
    which an operator's provider adapter (or a later job) sends from."""

    __tablename__ = "outbox_sms"
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    to_mobile: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=OutboxStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
