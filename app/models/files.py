"""Stored files (上传文件): one row per upload, whatever it is attached to.

The bytes live in the file store (app/workflows/core/files.py) under a random key; the row
says what it is (doc_type, sniffed kind), what it belongs to (owner_kind, owner_id) and its
neutralised original name. Who may read it is the owner kind's policy, not this table's.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.scope import Scope
from app.models.types import UTCDateTime


class StoredFile(Model):
    """An uploaded file: notice or reply attachment, import upload, application document…"""

    __tablename__ = "stored_file"
    __table_args__ = (Index("ix_stored_file_owner", "owner_kind", "owner_id"),)
    __scope__ = Scope.institute_only()  # readers go through the owner kind's read policy

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    owner_id: Mapped[Optional[int]] = mapped_column()
    doc_type: Mapped[Optional[str]] = mapped_column(String(48))
    stored_name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[Optional[str]] = mapped_column(String(128))
    kind: Mapped[Optional[str]] = mapped_column(String(16))  # sniffed: pdf, docx, png, …
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[Optional[str]] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
