"""学时申请 (seed 001 §2.2 / §3.2, seed 002 §7-9): a member's 投入式, 产出式 and 豁免 hour
applications, confirmed or refused by the institute. Rules live in
app/workflows/applications/; attachments are StoredFiles owned by "hour_application"."""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Person
from app.models.scope import Actors, Scope
from app.models.types import Reviewable, UTCDateTime


class ApplicationKind:
    INPUT = "投入式"
    OUTPUT = "产出式"
    EXEMPTION = "豁免"
    ALL = (INPUT, OUTPUT, EXEMPTION)


class ApplicationStatus:
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    ALL = (PENDING, CONFIRMED, REFUSED)
    LABELS = {PENDING: "未确认", CONFIRMED: "已确认", REFUSED: "不予确认"}


class HourApplication(Reviewable, Model):
    """学时申请: one application of a member for one year. `route` is the 学时途径 (投入式 /
    产出式) or the 豁免条件 (豁免); `quantity` the 产出式 amount (hours taught, projects,
    days, half-days); `hours` the 申请学时 (computed for 产出式, none for 豁免)."""
    __label__ = "学时申请"  # how the audit log names it

    __tablename__ = "hour_application"
    __labels__ = {"status": ApplicationStatus.LABELS}  # the codes' words
    __table_args__ = (
        Index("ix_hour_application_person_year", "person_id", "year"),
        Index("ix_hour_application_year_status", "year", "status"),
        # 学时申请确认's queue: a status, newest first
        Index("ix_hour_application_status_id", "status", "id"),
    )
    __scope__ = Scope(firm="person.firm_id", person="person_id")
    __actors__ = Actors(person="person_id")  # the member files, edits and deletes its own

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    person: Mapped[Person] = relationship(Person)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    organizer: Mapped[Optional[str]] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(64), nullable=False)
    quantity: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 1))
    hours: Mapped[Optional[Decimal]] = mapped_column(Numeric(6, 1))
    category: Mapped[str] = mapped_column(String(8), nullable=False, default="专业课")
    remark: Mapped[Optional[str]] = mapped_column(String(500))
    __status_default__ = ApplicationStatus.PENDING  # status, decided_at/by, version: Reviewable
    reason: Mapped[Optional[str]] = mapped_column(String(200))  # 不予确认 / 撤销 reason
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    submitted_by_id: Mapped[Optional[int]] = mapped_column()

    def __repr__(self) -> str:
        return f"{self.year}年度{self.kind}学时申请"
