"""Registry (会员管理): accounting firms, persons, and moves of a person between firms."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.scope import Actors, Scope
from app.models.types import Reviewable, UTCDateTime


class FirmStatus:
    ACTIVE = "active"
    CLOSED = "closed"
    ALL = (ACTIVE, CLOSED)
    LABELS = {ACTIVE: "正常", CLOSED: "注销"}


class Firm(Model):
    """Accounting firm (会计师事务所). `code` is the 8-digit 事务所编号, kept as text."""
    __label__ = "事务所"  # how the audit log names it

    __tablename__ = "firm"
    __table_args__ = (CheckConstraint("status in ('active', 'closed')", name="ck_firm_status"),)
    __scope__ = Scope(firm="id")  # a firm admin sees its own firm
    __labels__ = {"status": FirmStatus.LABELS}  # the codes' words (app/workflows/core/labels.py)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(11))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=FirmStatus.ACTIVE)
    created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # shown in related-field selects and exports
        return f"{self.name}"

    @property
    def admin_username(self) -> str:
        return "P" + self.code


class PersonType:
    CPA = "注册会计师"
    NON_PRACTICING = "非执业会员"
    OTHER = "其他从业人员"
    ALL = (CPA, NON_PRACTICING, OTHER)


class PersonStatus:
    ACTIVE = "active"
    REVOKED = "revoked"
    ALL = (ACTIVE, REVOKED)
    LABELS = {ACTIVE: "正常", REVOKED: "撤销"}


class Gender:
    MALE = "男"
    FEMALE = "女"
    ALL = (MALE, FEMALE)


class Person(Model):
    """Person (人员) of a firm, or a CPA under the institute's care (firm is null: 协会代管)."""
    __label__ = "人员"  # how the audit log names it

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(
            "person_type in ('注册会计师', '非执业会员', '其他从业人员')", name="ck_person_type"
        ),
        CheckConstraint("status in ('active', 'revoked')", name="ck_person_status"),
        CheckConstraint("gender is null or gender in ('男', '女')", name="ck_person_gender"),
        Index("ix_person_firm_status", "firm_id", "status"),
        # 人员信息 sorted by 证书编号 (FAB adds the id to every order)
        Index("ix_person_cert_number_id", "cert_number", "id"),
    )
    __scope__ = Scope(firm="firm_id", person="id")
    __labels__ = {"status": PersonStatus.LABELS}

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
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PersonStatus.ACTIVE)
    imported_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return self.name

    @property
    def login_name(self) -> str:
        """登录名: the username of the person's account, if it has one."""
        account = getattr(self, "account", None)
        return account.user.username if account is not None and account.user else ""


class TransferStatus:
    PENDING = "pending"
    CONFIRMED = "confirmed"  # by the person, signed in with its own password
    APPROVED = "approved"
    REFUSED = "refused"
    DECLINED = "declined"
    EXPIRED = "expired"  # derived: pending past expires_at (see workflows/transfers.py)
    OPEN = (PENDING,)
    LABELS = {
        PENDING: "待确认", CONFIRMED: "已确认", APPROVED: "协会已批准", REFUSED: "已拒绝", DECLINED: "协会未批准",
        EXPIRED: "已过期"
    }


class PersonTransfer(Reviewable, Model):
    """转入待确认: another firm listed a known person in its whole-list roster.

    The person is not moved by the roster import: only the person (signed in with
    its own password) or institute staff may accept the move; refusal or expiry
    (30 days) leaves the person where it was. The old firm is told either way.
    """
    __label__ = "人员转入申请"  # how the audit log names it

    __tablename__ = "person_transfer"
    __table_args__ = (Index("ix_person_transfer_person", "person_id", "status"),)
    # the person sees its own; the firms involved see nothing of it (the new firm must
    # not learn who the mobile belongs to); staff decide
    __scope__ = Scope(person="person_id")
    __labels__ = {"status": TransferStatus.LABELS}
    # the person confirms or refuses its own move (staff approve through the machine)
    __actors__ = Actors(person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"),
                                           nullable=False)
    person: Mapped[Person] = relationship(Person, foreign_keys=[person_id])
    from_firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"))
    from_firm: Mapped[Optional[Firm]] = relationship(Firm, foreign_keys=[from_firm_id])
    to_firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False, index=True)
    to_firm: Mapped[Firm] = relationship(Firm, foreign_keys=[to_firm_id])
    # what the new firm typed for this person (applied only when the move is accepted)
    position: Mapped[Optional[str]] = mapped_column(String(32))
    person_type: Mapped[Optional[str]] = mapped_column(String(8))
    requested_by_id: Mapped[Optional[int]] = mapped_column()
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    __status_default__ = TransferStatus.PENDING  # + remark, decided_at/by, version (Reviewable)
