"""Accounting firms (会计师事务所)."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.types import UTCDateTime


class FirmStatus:
    ACTIVE = "正常"
    CLOSED = "注销"
    ALL = (ACTIVE, CLOSED)


class Firm(Model):
    """Accounting firm (会计师事务所). `code` is the 8-digit 事务所编号, kept as text."""

    __tablename__ = "firm"
    __table_args__ = (CheckConstraint("status in ('正常', '注销')", name="ck_firm_status"),)
    # row scoping: the column that names the firm a row belongs to (see workflows/scoping.py)
    __firm_column__ = "id"
    __person_column__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(11))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=FirmStatus.ACTIVE)
    created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # shown in related-field selects and exports
        return f"{self.name}"

    @property
    def admin_username(self) -> str:
        return "P" + self.code
