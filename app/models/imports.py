"""Import batches (导入批次): a persisted preview, committed at most once."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Firm
from app.models.scope import Scope
from app.models.types import UTCDateTime


class ImportStatus:
    PARSING = "parsing"
    PREVIEWED = "previewed"
    FAILED = "failed"
    COMMITTED = "committed"
    EXPIRED = "expired"
    LABELS = {PARSING: "解析中", PREVIEWED: "待确认", FAILED: "文件有误", COMMITTED: "已导入", EXPIRED: "已失效"}


class ImportBatch(Model):
    """One uploaded file and its preview: the exact plan a commit will apply.

    The plan is tied to the file's hash and to a fingerprint of the data it was
    checked against; a commit on changed data is refused.
    """

    __tablename__ = "import_batch"
    __labels__ = {"status": ImportStatus.LABELS}  # the codes' words
    __scope__ = Scope(firm="firm_id")  # a firm admin sees its firm's batches

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    actor_id: Mapped[Optional[int]] = mapped_column()
    filename: Mapped[Optional[str]] = mapped_column(String(255))
    file_hash: Mapped[Optional[str]] = mapped_column(String(64))
    fingerprint: Mapped[Optional[str]] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    message: Mapped[Optional[str]] = mapped_column(Text)
    summary: Mapped[Optional[str]] = mapped_column(Text)  # the preview JSON
    plan: Mapped[Optional[str]] = mapped_column(Text)  # what commit applies, JSON
    rows: Mapped[Optional[str]] = mapped_column(Text)  # raw rows + problems, for the error report
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    committed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    params: Mapped[Optional[str]] = mapped_column(Text)  # JSON: what the kind was given
    file_id: Mapped[Optional[int]] = mapped_column()  # the upload, for background previews
    worker: Mapped[Optional[str]] = mapped_column(String(128))  # who is parsing it
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}
