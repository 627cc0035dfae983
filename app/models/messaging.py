"""Message centre (消息中心), help centre (帮助中心) and mail.

Three kinds of message (seed 004 §7): 系统消息 (progress reminders written by
workflows), 协会通知 (notices staff publish), 咨询消息 (consultation threads).
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.models.firm import Firm
from app.models.types import UTCDateTime


class MessageKind:
    SYSTEM = "系统消息"
    NOTICE = "协会通知"
    CONSULTATION = "咨询消息"
    ALL = (SYSTEM, NOTICE, CONSULTATION)


class Audience:
    ALL_FIRMS = "全部事务所"
    FIRMS = "指定事务所"
    PERSON_TYPES = "指定人员类型"
    EVERYONE = "所有用户"
    ALL = (ALL_FIRMS, FIRMS, PERSON_TYPES, EVERYONE)


class ConsultationStatus:
    AWAITING_INSTITUTE = "待协会回复"
    AWAITING_USER = "待用户回复"
    CLOSED = "已办结"


class Notice(Model):
    """协会通知: published to an audience at `publish_at` (may be in the future)."""

    __tablename__ = "notice"
    __firm_column__ = None  # staff only; recipients read their Message rows
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")  # sanitised HTML
    audience: Mapped[str] = mapped_column(String(16), nullable=False, default=Audience.ALL_FIRMS)
    person_types: Mapped[Optional[str]] = mapped_column(String(64))  # comma-separated
    publish_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # recipients fanned out
    created_by_id: Mapped[Optional[int]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    firms: Mapped[list[Firm]] = relationship(Firm, secondary="notice_firm")

    def __repr__(self) -> str:
        return self.title


class NoticeFirm(Model):
    __tablename__ = "notice_firm"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"),
                                           primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), primary_key=True)


class Message(Model):
    """One recipient's copy of a system message or notice, with its read state."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_inbox", "user_id", "kind", "read_at"),
        UniqueConstraint("notice_id", "user_id", name="uq_message_notice_user"),
    )
    __firm_column__ = "firm_id"
    __person_column__ = "person_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    link: Mapped[Optional[str]] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class Consultation(Model):
    """咨询消息: a thread between a firm or member and the institute."""

    __tablename__ = "consultation"
    __firm_column__ = "firm_id"
    __person_column__ = "person_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False)
    # the user side of the thread: a firm (its admin) or a member; staff may start it
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))  # the user side
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    started_by_institute: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    replies: Mapped[list["ConsultationReply"]] = relationship(
        back_populates="consultation", order_by="ConsultationReply.id")


class ConsultationReply(Model):
    __tablename__ = "consultation_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True, nullable=False)
    consultation: Mapped[Consultation] = relationship(back_populates="replies")
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    author_name: Mapped[str] = mapped_column(String(128), nullable=False)
    from_institute: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class Attachment(Model):
    """A file attached to a notice or a consultation reply; stored under UPLOAD_FOLDER."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_owner", "owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(32), nullable=False)  # notice | reply | ...
    owner_id: Mapped[int] = mapped_column(nullable=False)
    stored_name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[Optional[str]] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class HelpDocument(Model):
    """操作手册 / 演示视频: documents and links staff maintain."""

    __tablename__ = "help_document"
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 操作手册 | 演示视频
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)
    url: Mapped[Optional[str]] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class PolicyText(Model):
    """行业政策法规: a searchable library of policy texts (also feeds 智能客服)."""

    __tablename__ = "policy_text"
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    doc_number: Mapped[Optional[str]] = mapped_column(String(100))  # 文号
    issuer: Mapped[Optional[str]] = mapped_column(String(100))
    published_on: Mapped[Optional[dt.date]]
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # bumped on every change: the 智能客服 index is cached keyed by max(updated_at)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False,
                                                    default=clock.now, onupdate=clock.now)


class FaqEntry(Model):
    """智能客服 knowledge base: questions and answers staff maintain."""

    __tablename__ = "faq_entry"
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(500), nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[Optional[str]] = mapped_column(String(200))  # shown with the answer
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False,
                                                    default=clock.now, onupdate=clock.now)


class Suggestion(Model):
    """意见建议. Anonymous suggestions store no user id at all."""

    __tablename__ = "suggestion"
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column()  # NULL when anonymous
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class CodePurpose:
    RESET_PASSWORD = "reset"  # 找回密码
    BIND_EMAIL = "bind_email"  # 邮箱绑定: proves the address before it is bound


class PasswordResetCode(Model):
    """找回密码 (and 邮箱绑定): a one-time code mailed to an address (hash only)."""

    __tablename__ = "password_reset_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False,
                                         default=CodePurpose.RESET_PASSWORD)
    email: Mapped[Optional[str]] = mapped_column(String(320))  # the address the code went to
    code_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)


class OutboxStatus:
    PENDING = "待发送"
    SENDING = "发送中"
    SENT = "已发送"
    FAILED = "发送失败"


class OutboxMail(Model):
    """Every e-mail, queued in the transaction of the event that caused it."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    __firm_column__ = None
    __person_column__ = None

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


class JobLease(Model):
    """Who runs the schedule: one row per lease, renewed by its holder, taken over when expired."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class JobRun(Model):
    """One run of a scheduled job: when, as of which date, outcome, counts, error."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)  # schedule | cli | catch-up
    as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[Optional[str]] = mapped_column(String(8))  # 成功 | 失败
    counts: Mapped[Optional[str]] = mapped_column(Text)  # JSON
    error: Mapped[Optional[str]] = mapped_column(Text)
    host: Mapped[Optional[str]] = mapped_column(String(128))


class ReminderLog(Model):
    """A reminder sent: the key makes every reminder job idempotent by construction."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target", "threshold",
                                       name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    target: Mapped[str] = mapped_column(String(64), nullable=False)
    threshold: Mapped[str] = mapped_column(String(32), nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # an earlier threshold that fell due together with a later one: recorded, never sent
    superseded: Mapped[bool] = mapped_column(default=False, server_default=false())


class OutboxSms(Model):
    """Every SMS, written by the gateway interface (workflows/sms.py) in the caller's
    transaction. No SMS provider is reachable here: the default gateway is this table,
    which an operator's provider adapter (or a later job) sends from."""

    __tablename__ = "outbox_sms"
    __firm_column__ = None
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    to_mobile: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=OutboxStatus.PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
