"""Message centre (消息中心): system messages, notices, consultations, reminders.

Three kinds of message (seed 004 §7): 系统消息 (progress reminders written by
workflows), 协会通知 (notices staff publish), 咨询消息 (consultation threads).
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Firm
from app.models.scope import Scope
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
    AWAITING_INSTITUTE = "to_institute"
    AWAITING_USER = "to_user"
    CLOSED = "closed"
    LABELS = {AWAITING_INSTITUTE: "待协会回复", AWAITING_USER: "待用户回复", CLOSED: "已办结"}


class Notice(Model):
    """协会通知: published to an audience at `publish_at` (may be in the future)."""
    __label__ = "协会通知"  # how the audit log names it

    __tablename__ = "notice"
    __scope__ = Scope.institute_only()  # recipients read their Message rows

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
    __scope__ = Scope.institute_only()

    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"),
                                           primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), primary_key=True)


class Message(Model):
    """One recipient's copy of a system message or notice, with its read state."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_inbox", "user_id", "kind", "read_at"),
        # 消息中心: a tab of the inbox, newest first
        Index("ix_message_inbox_created", "user_id", "kind", "created_at", "id"),
        UniqueConstraint("notice_id", "user_id", name="uq_message_notice_user"),
    )
    __scope__ = Scope(user="user_id", institute=False)  # a user's inbox is its own, staff too

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
    __label__ = "咨询"  # how the audit log names it

    __tablename__ = "consultation"
    __labels__ = {"status": ConsultationStatus.LABELS}  # the codes' words
    __scope__ = Scope(firm="firm_id", person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    business_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
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
    # two deciders at once: the first wins, the second is told (core state machine)
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}


class ConsultationReply(Model):
    __tablename__ = "consultation_reply"
    __scope__ = Scope(firm="consultation.firm_id", person="consultation.person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True, nullable=False)
    consultation: Mapped[Consultation] = relationship(back_populates="replies")
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    author_name: Mapped[str] = mapped_column(String(128), nullable=False)
    from_institute: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class ReminderLog(Model):
    """A reminder sent: the key makes every reminder job idempotent by construction."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target", "threshold",
                                       name="uq_reminder_once"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    target: Mapped[str] = mapped_column(String(64), nullable=False)
    threshold: Mapped[str] = mapped_column(String(32), nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # an earlier threshold that fell due together with a later one: recorded, never sent
    superseded: Mapped[bool] = mapped_column(default=False, server_default=false())
