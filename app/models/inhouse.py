"""事务所内部培训 (seed 000 §6): a firm's yearly qualification (内培资格申请), its in-house
classes (内部培训班), the roster of each class (学员名单) and its year-end report (年终总结报告).
Rules live in app/workflows/inhouse/; the attachments are StoredFiles owned by
"inhouse_qualification" / "inhouse_report" (app/workflows/core/files.py)."""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Firm, Person
from app.models.scope import Actors, Scope
from app.models.types import Reviewable, UTCDateTime


class ReviewStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (PENDING, APPROVED, REJECTED)
    LABELS = {PENDING: "未审核", APPROVED: "审核通过", REJECTED: "审核未通过"}


class EntryStatus:
    ENROLLED = "enrolled"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (ENROLLED, APPROVED, REJECTED)
    LABELS = {ENROLLED: "已报名", APPROVED: "审核通过", REJECTED: "审核未通过"}


class Acquisition:
    """学时获得方式 of a roster entry; each is also the hour record's delivery (学时类型)."""
    IN_HOUSE = "执业机构内培"
    TEACHING = "授课"
    DEEMED = "面授(视同)"
    ALL = (IN_HOUSE, TEACHING, DEEMED)


class InhouseQualification(Reviewable, Model):
    """内培资格申请: one per firm and year, with the manual's four attachments."""
    __label__ = "内培资格申请"  # how the audit log names it

    __tablename__ = "inhouse_qualification"
    __labels__ = {"status": ReviewStatus.LABELS}  # the codes' words
    __table_args__ = (UniqueConstraint("firm_id", "year", name="uq_inhouse_qualification"),
                      # 内部培训审核's queue: a status, newest first
                      Index("ix_inhouse_qualification_status_id", "status", "id"))
    __scope__ = Scope(firm="firm_id")
    __actors__ = Actors(firm="firm_id")  # the firm's admin applies; staff decide

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False, index=True)
    firm: Mapped[Firm] = relationship(Firm)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    __status_default__ = ReviewStatus.PENDING
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    submitted_by_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return f"{self.year}年度内培资格"


class InhouseClass(Reviewable, Model):
    """内部培训班: one category (专业课 / 职业道德 / 思政), reported ≥ 7 days before it starts."""
    __label__ = "内部培训班"  # how the audit log names it

    __tablename__ = "inhouse_class"
    __labels__ = {"status": ReviewStatus.LABELS}  # the codes' words
    __table_args__ = (Index("ix_inhouse_class_firm_year", "firm_id", "year"),
                      # a firm's classes, latest start first; 内部培训审核's queue by status
                      Index("ix_inhouse_class_firm_start", "firm_id", "start_date", "id"),
                      Index("ix_inhouse_class_status_id", "status", "id"))
    __scope__ = Scope(firm="firm_id")
    __actors__ = Actors(firm="firm_id")  # the firm's admin reports, edits, deletes

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False)
    firm: Mapped[Firm] = relationship(Firm)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str] = mapped_column(String(8), nullable=False)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    leader: Mapped[str] = mapped_column(String(64), nullable=False)
    contact: Mapped[str] = mapped_column(String(32), nullable=False)
    __status_default__ = ReviewStatus.PENDING
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return self.name


class InhouseRosterEntry(Reviewable, Model):
    """学员名单 line: one person in one class; `person_key` makes a person appear once per
    class (P<person id> when the person is known to the registry, else I<身份证号>)."""
    __label__ = "内培学员名单"  # how the audit log names it

    __tablename__ = "inhouse_roster_entry"
    __labels__ = {"status": EntryStatus.LABELS}  # the codes' words
    __table_args__ = (
        UniqueConstraint("class_id", "person_key", name="uq_inhouse_roster_person"),
        # 内部培训审核's queue of entries by status, newest first (was: status alone)
        Index("ix_inhouse_roster_status_id", "status", "id"),
        # a class's 学员名单, newest first
        Index("ix_inhouse_roster_class_created", "class_id", "created_at", "id"),
    )
    __scope__ = Scope(firm="inhouse_class.firm_id", person="person_id")
    # the class's firm reports its roster; the person it names sees the line, never files it
    __actors__ = Actors(firm="inhouse_class.firm_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("inhouse_class.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    inhouse_class: Mapped[InhouseClass] = relationship(InhouseClass)
    is_cpa: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cert_number: Mapped[Optional[str]] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[Optional[str]] = mapped_column(String(18))
    level: Mapped[str] = mapped_column(String(32), nullable=False)
    acquisition: Mapped[str] = mapped_column(String(8), nullable=False,
                                             default=Acquisition.IN_HOUSE)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    person: Mapped[Optional[Person]] = relationship(Person)
    person_key: Mapped[str] = mapped_column(String(24), nullable=False)
    __status_default__ = EntryStatus.ENROLLED
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return self.name


class InhouseYearReport(Model):
    """年终总结报告: one document per firm and year (StoredFile owned by "inhouse_report")."""
    __label__ = "年终总结报告"  # how the audit log names it

    __tablename__ = "inhouse_year_report"
    __table_args__ = (UniqueConstraint("firm_id", "year", name="uq_inhouse_year_report"),)
    __scope__ = Scope(firm="firm_id")
    __actors__ = Actors(firm="firm_id")  # the firm's admin uploads (and downloads) it

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False, index=True)
    firm: Mapped[Firm] = relationship(Firm)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return f"{self.year}年度年终总结报告"
