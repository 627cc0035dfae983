"""继续教育学时: the hour ledger (HourRecord), the yearly requirements (CpeRequirement) and
confirmed exemptions (CpeExemption). Rules live in app/workflows/hours/."""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (Boolean, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Person
from app.models.scope import Scope
from app.models.types import UTCDateTime


class Category:
    PROFESSIONAL = "专业课"
    ETHICS = "职业道德"
    SIZHENG = "思政"
    ALL = (PROFESSIONAL, ETHICS, SIZHENG)


class Delivery:
    ONLINE = "网络课程"
    FACE_TO_FACE = "面授"
    IN_HOUSE = "执业机构内培"
    TEACHING = "授课"
    DEEMED_F2F = "面授(视同)"
    INPUT = "投入式"
    OUTPUT = "产出式"
    ALL = (ONLINE, FACE_TO_FACE, IN_HOUSE, TEACHING, DEEMED_F2F, INPUT, OUTPUT)
    FACE_TO_FACE_KINDS = (FACE_TO_FACE, IN_HOUSE, TEACHING, DEEMED_F2F)  # DESIGN §3a


class SourceKind:
    TRAINING_RESULT = "training_result"
    INHOUSE_ROSTER = "inhouse_roster"
    APPLICATION = "application"
    ONLINE_LESSON = "online_lesson"  # 网络学习: one evaluated lesson (LessonProgress)
    IMPORT = "import"
    MANUAL = "manual"
    # the 来源 column beside 获得方式 (the manual's 获得方式 is 「正常」; where hours came from
    # is a column of its own)
    LABELS = {TRAINING_RESULT: "协会面授班", INHOUSE_ROSTER: "事务所内部培训",
              APPLICATION: "学时申请", ONLINE_LESSON: "网络学习", IMPORT: "历史导入",
              MANUAL: "人工更正"}


# 获得方式 as the manual shows it (seed 000 §4.2: 「获得方式 … 正常」)
NORMAL_ACQUISITION = "正常"
ACQUISITIONS = (NORMAL_ACQUISITION,)


HOURS = Numeric(6, 1)


class HourRecord(Model):
    """学时记录: one credited line; every record has exactly one source (kind, id)."""
    __label__ = "学时记录"  # how the audit log names it

    __tablename__ = "hour_record"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", name="uq_hour_record_source"),
        # per-person detail and per-person-year lookups; a firm's records of a year by
        # 获得时间 without reading them (学员学时明细's deep pages)
        Index("ix_hour_record_person_year_obtained", "person_id", "year", "obtained_at", "id"),
        # year-wide aggregates (firm / institute): the index covers what the sums read
        Index("ix_hour_record_year_person_cover", "year", "person_id", "delivery", "category",
              "hours"),
        # 学员学时明细: a year's records newest first (obtained_at desc, id desc: read backwards)
        Index("ix_hour_record_year_obtained", "year", "obtained_at", "id"),
    )
    __scope__ = Scope(firm="person.firm_id", person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(8), nullable=False)
    delivery: Mapped[str] = mapped_column(String(8), nullable=False)
    hours: Mapped[Decimal] = mapped_column(HOURS, nullable=False)
    # 获得时间 to the second (seed 000 §4.2 shows 2025-08-05 12:22:52), UTC, shown in Beijing time
    obtained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    acquisition: Mapped[str] = mapped_column(String(32), nullable=False, default="正常")
    source_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    # 课程时长 in minutes, as the manual's detail shows it (online lessons report it)
    minutes: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[Optional[int]] = mapped_column()
    person: Mapped[Person] = relationship(Person)

    def __repr__(self) -> str:
        return f"{self.title} {self.hours}"


class HourYearTotal(Model):
    """A person's sums for one year, kept by the ledger in the same transaction as every
    credit and withdrawal (app/workflows/hours/ledger.py), so that the yearly queries of a
    firm or of the whole institute read one row per person instead of summing every
    record (60,000 persons, 2,400,000 records). `records` counts the year's records; the
    sums are what the rules need: all hours, 网络课程, 产出式, face-to-face kinds, 职业道德,
    思政. `flask --app run.py cpe rebuild` recomputes them from the records.

    Beside the sums, the year's verdict (exempt … missing_sizheng, rules.KEPT): written by
    the one SQL of the rules (rules.verdict_select) for exactly the persons a change touches
    — a credit or withdrawal, a requirement, an exemption, a person's type (verdicts.py) —
    so that the institute-wide pages count and order kept values instead of judging 60,000
    persons at every request. A person with an exemption always has a row (with zero sums
    when no hours); a person without a row has the verdict of no hours for their type."""

    __tablename__ = "hour_year_total"
    __table_args__ = (
        UniqueConstraint("person_id", "year", name="uq_hour_year_total"),
        # a year's rows; on PostgreSQL with what the institute-wide counts read (有无学时,
        # 通过, 有要求; the home pages' hours by 分类), so that 事务所培训概况 and the home
        # pages scan the index alone
        Index("ix_hour_year_total_year_person", "year", "person_id",
              postgresql_include=["total", "passed", "required", "ethics", "sizheng"]),
    )
    __scope__ = Scope(firm="person.firm_id", person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    records: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # sums in tenths of an hour (46.5 学时 → 465): exact integer arithmetic on every
    # database (SQLite keeps NUMERIC as floating point), and cheap to compare
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    online: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    output: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    face_to_face: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ethics: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sizheng: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # the kept verdict (rules.KEPT), tenths of an hour like the sums
    exempt: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                         server_default=false())
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                           server_default=false())
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                         server_default=false())
    counted: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                         server_default=text("0"))
    gap: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default=text("0"))
    missing_counted: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default=text("0"))
    missing_face_to_face: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                      server_default=text("0"))
    missing_input: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                               server_default=text("0"))
    missing_ethics: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                server_default=text("0"))
    missing_sizheng: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default=text("0"))
    person: Mapped[Person] = relationship(Person)

    SUMS = ("total", "online", "output", "face_to_face", "ethics", "sizheng")


class HourMonthTotal(Model):
    """A person's hours of one year by the month they were obtained in (Beijing time: a
    record of 1 May 03:00 is May's), in tenths, kept by the ledger in the same transaction
    as every credit and withdrawal — beside HourYearTotal, on the same (person, year) key,
    so a credit locks no row another person's credit needs. The institute's monthly chart
    sums one row per person instead of grouping every record of the year (780,000);
    `flask --app run.py cpe rebuild` recomputes them. A record whose 获得时间 falls outside
    its year counts in January (before) or December (after), as the chart always showed."""

    __tablename__ = "hour_month_total"
    __table_args__ = (
        UniqueConstraint("person_id", "year", name="uq_hour_month_total"),
        Index("ix_hour_month_total_year", "year"),
    )
    __scope__ = Scope(firm="person.firm_id", person="person_id")

    MONTHS = tuple(f"m{m:02d}" for m in range(1, 13))  # m01 … m12

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    m01: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m02: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m03: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m04: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m05: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m06: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m07: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m08: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m09: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m10: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m11: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    m12: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    person: Mapped[Person] = relationship(Person)


class CpeRequirement(Model):
    """学时要求 per year and person type; a year without a row uses DEFAULTS (rules.py)."""
    __label__ = "学时要求"  # how the audit log names it

    __tablename__ = "cpe_requirement"
    __table_args__ = (UniqueConstraint("year", "person_type", name="uq_cpe_requirement"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    person_type: Mapped[str] = mapped_column(String(8), nullable=False)
    min_total: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(40))
    min_face_to_face: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(16))
    min_input: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(0))
    min_ethics: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(4))
    min_sizheng: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(0))
    cap_online: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(24))
    cap_output: Mapped[Decimal] = mapped_column(HOURS, nullable=False, default=Decimal(24))

    def __repr__(self) -> str:
        return f"{self.year} {self.person_type}"


class CpeExemption(Model):
    """A confirmed 豁免 for one person and year: CPA → no requirement; 非执业会员 → halved."""
    __label__ = "学时豁免"  # how the audit log names it

    __tablename__ = "cpe_exemption"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", name="uq_cpe_exemption_source"),
        Index("ix_cpe_exemption_year_person", "year", "person_id"),
    )
    __scope__ = Scope(firm="person.firm_id", person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    condition: Mapped[str] = mapped_column(String(64), nullable=False)
    source_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    source_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    person: Mapped[Person] = relationship(Person)


class HourCertificate(Model):
    """学时证明: one issued certificate of a person's hours for chosen years. The totals are a
    snapshot taken at issue (the PDF and the public 学时证明验证 page show what was certified,
    even after later corrections); `code` is the random verification code (16 characters of
    CODE_ALPHABET, app/workflows/hours/certificates.py)."""
    __label__ = "学时证明"  # how the audit log names it

    __tablename__ = "hour_certificate"
    __scope__ = Scope(firm="person.firm_id", person="person_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False, index=True)
    years: Mapped[str] = mapped_column(String(100), nullable=False)  # "2025,2026"
    person_name: Mapped[str] = mapped_column(String(64), nullable=False)
    cert_number: Mapped[Optional[str]] = mapped_column(String(32))
    firm_name: Mapped[Optional[str]] = mapped_column(String(200))
    totals: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: one object per year
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    issued_by_id: Mapped[Optional[int]] = mapped_column()
    issued_by_name: Mapped[Optional[str]] = mapped_column(String(64))
    person: Mapped[Person] = relationship(Person)

    def __repr__(self) -> str:
        return f"学时证明 {self.code}"
