"""帮助中心: 操作手册 / 演示视频, 行业政策法规, 智能客服 knowledge base, 意见建议.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.models.scope import Scope
from app.models.types import UTCDateTime


class HelpDocument(Model):
    """操作手册 / 演示视频: documents and links staff maintain."""
    __label__ = "操作手册和视频"  # how the audit log names it

    __tablename__ = "help_document"
    __scope__ = Scope.public_read()  # every signed-in user reads it; staff maintain it

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 操作手册 | 演示视频
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[Optional[str]] = mapped_column(Text)
    url: Mapped[Optional[str]] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class PolicyText(Model):
    """行业政策法规: a searchable library of policy texts (also feeds 智能客服)."""
    __label__ = "政策法规"  # how the audit log names it

    __tablename__ = "policy_text"
    __scope__ = Scope.public_read()  # every signed-in user reads it; staff maintain it

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
    __label__ = "知识库条目"  # how the audit log names it

    __tablename__ = "faq_entry"
    __scope__ = Scope.public_read()  # every signed-in user reads it; staff maintain it

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
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column()  # NULL when anonymous
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)

    @property
    def submitted(self):
        """When it was sent as far as it is known: an anonymous one keeps only its day
        (shown as that date, not as a made-up 00:00:00), a named one its time."""
        if self.user_id is None and self.created_at is not None:
            from app.clock import to_local
            return to_local(self.created_at).date()
        return self.created_at
