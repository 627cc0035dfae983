"""Outboxes: every e-mail, SMS and WeChat template message, written in the transaction of
its cause and delivered by a job through app/workflows/core/outbox.py.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.scope import Scope
from app.models.types import UTCDateTime


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    LABELS = {PENDING: "待发送", SENDING: "发送中", SENT: "已发送", FAILED: "发送失败"}


class OutboxMail(Model):
    """Every e-mail, queued in the transaction of the event that caused it."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    __scope__ = Scope.institute_only()
    __labels__ = {"status": OutboxStatus.LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class OutboxSms(Model):
    """Every SMS, written by the gateway interface (workflows/core/sms.py) in the caller's
    transaction. With SMS_PROVIDER unset the table is where texts wait (待发送) for an
    operator; SMS_PROVIDER=tencent delivers them (job deliver_sms) and records the
    provider's serial number or error here."""

    __tablename__ = "outbox_sms"
    __table_args__ = (Index("ix_outbox_sms_due", "status", "next_attempt_at"),)
    __scope__ = Scope.institute_only()
    __labels__ = {"status": OutboxStatus.LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    to_mobile: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # which message (验证码, 预约成功 …): its template id at the provider comes from config
    kind: Mapped[Optional[str]] = mapped_column(String(16))
    params: Mapped[Optional[str]] = mapped_column(Text)  # JSON list of the template's values
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    provider_ref: Mapped[Optional[str]] = mapped_column(String(64))  # the provider's SerialNo
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    @property
    def shown_body(self) -> str:
        """What staff read (to answer 「我收到短信了吗」): the text, but never a code."""
        return "（验证码短信，内容不显示）" if self.kind == "验证码" else self.body


class OutboxWechat(Model):
    """Every WeChat template message (进度提醒, 协会通知, 咨询消息) to a bound openid,
    delivered by the job deliver_wechat (app/workflows/core/wechat.py)."""

    __tablename__ = "outbox_wechat"
    __table_args__ = (Index("ix_outbox_wechat_due", "status", "next_attempt_at"),)
    __scope__ = Scope.institute_only()
    __labels__ = {"status": OutboxStatus.LABELS}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    openid: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    template_id: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)  # the template's JSON "data"
    url: Mapped[Optional[str]] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    msgid: Mapped[Optional[str]] = mapped_column(String(32))  # WeChat's id of the sent message
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class WechatToken(Model):
    """The official account's access_token, shared by every process until it expires
    (WeChat allows a limited number of fetches a day)."""

    __tablename__ = "wechat_token"
    __scope__ = Scope.institute_only()

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(600), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class WechatBindTicket(Model):
    """One 绑定新账号 QR code: a one-time token (the QR scene) that binds whoever scans it
    to this user, until it expires or is used."""

    __tablename__ = "wechat_bind_ticket"
    __scope__ = Scope(user="user_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    qr_url: Mapped[str] = mapped_column(String(500), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class NotifyPreference(Model):
    """设置 › 通知方式: which channels (besides the 系统消息 always kept) one kind of
    message reaches this user on; no row = every channel the user has bound."""

    __tablename__ = "notify_preference"
    __table_args__ = (Index("uq_notify_preference", "user_id", "kind", unique=True),)
    __scope__ = Scope(user="user_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    channels: Mapped[str] = mapped_column(String(64), nullable=False, default="")
