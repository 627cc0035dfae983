"""CPA专题培训 (seed 000 §5, seed 003): the institute's classes (TrainingClass), the people
enrolled in them (Enrollment) and the waiting list of a full class (WaitlistEntry). Rules
live in app/workflows/training/."""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Firm, Person
from app.models.scope import Actors, Scope
from app.models.types import UTCDateTime


class Audience:
    """培训对象 (seed 003's column)."""

    CPA_ONLY = "注册会计师"
    ALL_STAFF = "从业人员和注册会计师"
    ALL = (CPA_ONLY, ALL_STAFF)


class PersonKind:
    """人员类型 of the manual's enrollment form."""

    CPA = "注册会计师"
    OTHER = "其他"
    ALL = (CPA, OTHER)


class EnrollmentStatus:
    """报名状态 (seed 000 §5.1); the CICPA screens (seed 003) call them 待确认 / 已确认."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (PENDING, APPROVED, REJECTED)
    HOLDS_SEAT = (PENDING, APPROVED)
    CICPA = {PENDING: "待确认", APPROVED: "已确认", REJECTED: "未通过"}
    LABELS = {PENDING: "未审核", APPROVED: "审核通过", REJECTED: "审核未通过"}


class TrainingResult:
    """培训状态 (seed 000 §5.1)."""

    NOT_YET = "尚未参加培训"
    PASSED = "合格"
    FAILED = "不合格"
    ALL = (NOT_YET, PASSED, FAILED)


class TrainingClass(Model):
    """培训班: one class of the institute's catalogue. Every signed-in user reads the
    catalogue; only staff write it (permissions)."""
    __label__ = "协会培训班"  # how the audit log names it

    __tablename__ = "training_class"
    __table_args__ = (Index("ix_training_class_start", "start_date"),)
    __scope__ = Scope.public_read()

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default="北京注协面授班")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    teacher: Mapped[Optional[str]] = mapped_column(String(100))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    category: Mapped[str] = mapped_column(String(8), nullable=False)
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    enroll_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    enroll_end: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    # 培训人数 of the CICPA list (the planned size; the capacity when not given)
    planned: Mapped[Optional[int]] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(16), nullable=False, default=Audience.ALL_STAFF)
    intro: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # bumped by every enrollment and seat change: the write that serialises the seat count
    # (app/workflows/training/seats.py), on PostgreSQL (row lock) and SQLite (write lock)
    seat_lock: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                           server_default="0")

    def __repr__(self) -> str:
        return self.name


class Enrollment(Model):
    """报名: one person enrolled in one class, by its firm (form or ticking) or by itself.

    A CPA's row names the registry person (person_id); 其他 persons are typed in. The
    dedupe key (person:<id>, or phone:<firm id>:<mobile> — per firm, so that no refusal
    tells one firm about another's people) is unique per class: nobody twice."""
    __label__ = "培训报名"  # how the audit log names it

    __tablename__ = "training_enrollment"
    __labels__ = {"status": EnrollmentStatus.LABELS}  # the codes' words
    __table_args__ = (
        UniqueConstraint("class_id", "dedupe_key", name="uq_training_enrollment_person"),
        Index("ix_training_enrollment_class_firm", "class_id", "firm_id"),
        # 培训班详情 (staff): a class's enrollments by 报名状态, in the order they came
        Index("ix_training_enrollment_class_status", "class_id", "status", "id"),
        Index("ix_training_enrollment_person", "person_id"),
        # the review centre's queues (and the staff home's counts): 未审核 oldest first, the
        # approved ones of ended classes still waiting for their 培训结果
        Index("ix_training_enrollment_status_created", "status", "created_at", "id"),
        Index("ix_training_enrollment_status_result", "status", "result", "class_id"),
    )
    __scope__ = Scope(firm="firm_id", person="person_id")
    # the enrolling firm's admin and the person enrolled (a member, its own) act for it —
    # delete it until the class starts; staff too (they delete until a result is recorded)
    __actors__ = Actors(firm="firm_id", person="person_id", institute=True)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id"), nullable=False)
    training_class: Mapped[TrainingClass] = relationship(TrainingClass)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"))
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"))
    person: Mapped[Optional[Person]] = relationship(Person)
    person_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    age: Mapped[Optional[int]] = mapped_column(Integer)
    position: Mapped[Optional[str]] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(11), nullable=False)
    cert_number: Mapped[Optional[str]] = mapped_column(String(20))
    gender: Mapped[Optional[str]] = mapped_column(String(2))
    ethnicity: Mapped[Optional[str]] = mapped_column(String(16))
    unit_name: Mapped[Optional[str]] = mapped_column(String(128))
    travel: Mapped[Optional[str]] = mapped_column(String(64))  # 航班/车次
    remark: Mapped[Optional[str]] = mapped_column(String(200))
    wechat: Mapped[Optional[str]] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=EnrollmentStatus.PENDING)
    result: Mapped[str] = mapped_column(String(8), nullable=False,
                                        default=TrainingResult.NOT_YET)
    dedupe_key: Mapped[str] = mapped_column(String(40), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default="表单")
    enrolled_by_id: Mapped[Optional[int]] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    # two staff deciding at once: the first wins, the second is told (core state machine)
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return self.name


class WaitlistEntry(Model):
    """候补: a firm or a member waiting for a seat of a full class, first come first served.
    When a seat frees the first in line is offered it until `offer_expires_at`; the offer's
    state is derived from the timestamps (app/workflows/training/waitlist.py)."""
    __label__ = "候补登记"  # how the audit log names it

    __tablename__ = "training_waitlist"
    __table_args__ = (Index("ix_training_waitlist_class", "class_id", "joined_at"),)
    __scope__ = Scope(firm="firm_id", person="person_id")
    # who answers an offer: a member its own entry (which names its firm too), the firm's
    # admin the firm's own entries (no person)
    __actors__ = Actors(firm="firm_id", person="person_id", firm_when_personless=True)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id"), nullable=False)
    training_class: Mapped[TrainingClass] = relationship(TrainingClass)
    # a firm's entry (firm_id, no person) or a member's own (person_id, and its firm)
    firm_id: Mapped[Optional[int]] = mapped_column(ForeignKey("firm.id"))
    firm: Mapped[Optional[Firm]] = relationship(Firm)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"))
    person: Mapped[Optional[Person]] = relationship(Person)
    user_id: Mapped[Optional[int]] = mapped_column()
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    offered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    declined_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    enrollment_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return f"候补 {self.id}"
