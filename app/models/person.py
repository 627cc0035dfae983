"""Persons (人员): practicing CPAs, non-practicing members and other practitioners."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.firm import Firm
from app.models.types import UTCDateTime


class PersonType:
    CPA = "注册会计师"
    NON_PRACTICING = "非执业会员"
    OTHER = "其他从业人员"
    ALL = (CPA, NON_PRACTICING, OTHER)


class PersonStatus:
    ACTIVE = "正常"
    REVOKED = "撤销"
    ALL = (ACTIVE, REVOKED)


class Gender:
    MALE = "男"
    FEMALE = "女"
    ALL = (MALE, FEMALE)


class Person(Model):
    """Person (人员) of a firm, or a CPA under the institute's care (firm is null: 协会代管)."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(
            "person_type in ('注册会计师', '非执业会员', '其他从业人员')", name="ck_person_type"
        ),
        CheckConstraint("status in ('正常', '撤销')", name="ck_person_status"),
        CheckConstraint("gender is null or gender in ('男', '女')", name="ck_person_gender"),
        Index("ix_person_firm_status", "firm_id", "status"),
    )
    __firm_column__ = "firm_id"
    __person_column__ = "id"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_type: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    gender: Mapped[Optional[str]] = mapped_column(String(2))
    id_number: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(11), unique=True)
    birth_date: Mapped[Optional[dt.date]]
    ethnicity: Mapped[Optional[str]] = mapped_column(String(16))
    position: Mapped[Optional[str]] = mapped_column(String(32))
    cert_number: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    status: Mapped[str] = mapped_column(String(4), nullable=False, default=PersonStatus.ACTIVE)
    imported_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return self.name

    @property
    def login_name(self) -> str:
        """登录名: the username of the person's account, if it has one."""
        account = getattr(self, "account", None)
        return account.user.username if account is not None and account.user else ""
