"""注册业务 (seed 004 §3–§6): registration-affairs cases, their attachments, the one table of
required documents, appointment slots and bookings. Rules live in app/workflows/registration/."""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.files import StoredFile
from app.models.registry import Firm, Person
from app.models.scope import Actors, Scope
from app.models.types import UTCDateTime


class CaseStatus:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    APPROVED = "approved"
    BOOKED = "booked"
    PROCESSED = "processed"
    CERT_READY = "cert_ready"
    DONE = "done"
    EXPIRED = "expired"
    ALL = (DRAFT, SUBMITTED, REJECTED, APPROVED, BOOKED, PROCESSED, CERT_READY, DONE, EXPIRED)
    EDITABLE = (DRAFT, REJECTED, EXPIRED)
    LABELS = {DRAFT: "未提交", SUBMITTED: "已提交待北注协审核", REJECTED: "审核不通过",
              APPROVED: "审核通过待预约", BOOKED: "预约成功", PROCESSED: "已办理待制证",
              CERT_READY: "已制证待取证", DONE: "办理完成", EXPIRED: "已过期"}


class AppointmentStatus:
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DONE = "done"
    NO_SHOW = "no_show"
    ALL = (BOOKED, CANCELLED, DONE, NO_SHOW)
    LABELS = {BOOKED: "预约成功", CANCELLED: "已取消", DONE: "办理完成", NO_SHOW: "未到场"}


class DocRequirement(Model):
    """所需材料: one row per document a case type asks for. `condition` (e.g. ``retired=是``,
    ``items~身份证号 (证书信息)``, ``transfer_type!=转入协会代管``) limits the row to cases whose
    answers match; empty means always. Staff edit the rows; the form, the submit check and
    智能客服 all read them (workflows/registration/requirements.py)."""
    __label__ = "所需材料"  # how the audit log names it

    __tablename__ = "reg_doc_requirement"
    __table_args__ = (UniqueConstraint("case_type", "doc_key", "condition",
                                       name="uq_reg_doc_requirement"),)
    __scope__ = Scope.public_read()

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    doc_key: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    condition: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    has_template: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return self.label


class RegistrationCase(Model):
    """业务办理: one person's case of one type, filed by a firm (firm_id) or by an
    institute-managed CPA for itself (person_id, firm_id null)."""
    __label__ = "注册业务"  # how the audit log names it

    __tablename__ = "registration_case"
    __labels__ = {"status": CaseStatus.LABELS}  # the codes' words
    __table_args__ = (
        CheckConstraint("status in ('draft', 'submitted', 'rejected', 'approved', 'booked', "
                        "'processed', 'cert_ready', 'done', 'expired')",
                        name="ck_registration_case_status"),
        Index("ix_registration_case_status_type", "status", "case_type"),
        # 办理记录 (staff): the cases waiting for review, the longest waiting first; 等待天数
        Index("ix_registration_case_status_submitted", "status", "submitted_at"),
    )
    __scope__ = Scope(firm="firm_id", person="person_id")
    # the firm files for its CPAs; a 协会代管 CPA (no firm) files for itself
    __actors__ = Actors(firm="firm_id", person="person_id", person_when_firmless=True)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CaseStatus.DRAFT)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    # the person the case is about when known (chosen from the list, or the CPA itself)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    person: Mapped[Optional[Person]] = relationship(Person)
    filer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"), index=True)
    filer_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    id_number: Mapped[Optional[str]] = mapped_column(String(18))
    cert_number: Mapped[Optional[str]] = mapped_column(String(20))
    mobile: Mapped[Optional[str]] = mapped_column(String(11))
    answers: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON
    pledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    appointment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reg_appointment.id"),
                                                          index=True)
    appointment: Mapped[Optional["Appointment"]] = relationship(
        "Appointment", back_populates="cases", foreign_keys=[appointment_id])
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)
    documents: Mapped[list["CaseDocument"]] = relationship(
        "CaseDocument", back_populates="case", cascade="all, delete-orphan",
        order_by="CaseDocument.id")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"{self.case_type} {self.name}"


class CaseDocument(Model):
    """One attachment of a case: which required document, its file, staff's reason if refused."""

    __tablename__ = "reg_case_document"
    __scope__ = Scope(firm="case.firm_id", person="case.person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("registration_case.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    case: Mapped[RegistrationCase] = relationship(RegistrationCase, back_populates="documents")
    doc_key: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), nullable=False)
    file: Mapped[StoredFile] = relationship(StoredFile)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    reject_reason: Mapped[Optional[str]] = mapped_column(String(200))


class SlotTemplate(Model):
    """预约时段: the daily slots (start, end) and the seats of each; staff configure them."""
    __label__ = "预约时段"  # how the audit log names it

    __tablename__ = "reg_slot_template"
    __scope__ = Scope.public_read()

    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[str] = mapped_column(String(5), unique=True, nullable=False)  # HH:MM
    end: Mapped[str] = mapped_column(String(5), nullable=False)
    seats: Mapped[int] = mapped_column(Integer, nullable=False, default=12)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"{self.start}-{self.end}"


class CalendarDay(Model):
    """节假日设置: a date staff mark as 公休日 (closed) or as a make-up 工作日 (open), over
    what the public holiday table says."""
    __label__ = "节假日设置"  # how the audit log names it

    __tablename__ = "reg_calendar_day"
    __scope__ = Scope.public_read()

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True, nullable=False)
    open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[Optional[str]] = mapped_column(String(64))


class SlotUsage(Model):
    """Seats taken in one slot of one day. Booking raises `taken` with one conditional
    UPDATE (`taken + n <= seats`), so concurrent bookings never exceed the seats."""

    __tablename__ = "reg_slot_usage"
    __table_args__ = (UniqueConstraint("day", "start", name="uq_reg_slot_usage"),
                      CheckConstraint("taken >= 0", name="ck_reg_slot_usage_taken"))
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    start: Mapped[str] = mapped_column(String(5), nullable=False)
    taken: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Appointment(Model):
    """预约: several cases of one type in one slot (one seat per person)."""
    __label__ = "预约"  # how the audit log names it

    __tablename__ = "reg_appointment"
    __labels__ = {"status": AppointmentStatus.LABELS}  # the codes' words
    __table_args__ = (Index("ix_reg_appointment_day", "day", "start"),
                      # 预约记录 filtered by 状态, newest day first
                      Index("ix_reg_appointment_status_day", "status", "day", "start"))
    __scope__ = Scope(firm="firm_id", person="person_id")
    # whoever filed its cases: the firm, or the 协会代管 CPA itself (person_id only then)
    __actors__ = Actors(firm="firm_id", person="person_id", person_when_firmless=True)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16), nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    start: Mapped[str] = mapped_column(String(5), nullable=False)
    end: Mapped[str] = mapped_column(String(5), nullable=False)
    seats: Mapped[int] = mapped_column(Integer, nullable=False)  # 人数: one seat per person
    names: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=AppointmentStatus.BOOKED)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"), index=True)
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    filer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)
    cases: Mapped[list[RegistrationCase]] = relationship(
        RegistrationCase, back_populates="appointment",
        foreign_keys=[RegistrationCase.appointment_id], order_by=RegistrationCase.id)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"{self.day} {self.start} {self.case_type}"
