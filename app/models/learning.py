"""网络学习 (seed 001 §2.2 / §3.2, seed 002 §3-6): online learning at one accounting institute
(北京 / 上海 / 厦门国家会计学院) a year. Staff keep the institutes and their courses; a
member chooses one institute for a year (locked); the institute's LMS reports completed and
evaluated lessons through the API; a daily job credits evaluated, countable lessons to the
hour ledger; non-practicing members pay a fee first. Rules: app/workflows/learning/."""
import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.registry import Person
from app.models.scope import Actors, Scope
from app.models.types import UTCDateTime


class ProgressStatus:
    TO_EVALUATE = "to_evaluate"   # the institute reported the lesson finished
    EVALUATED = "evaluated"     # evaluated: credited by the next daily run once countable
    CREDITED = "credited"
    ALL = (TO_EVALUATE, EVALUATED, CREDITED)
    LABELS = {TO_EVALUATE: "待评价", EVALUATED: "已评价", CREDITED: "已计学时"}


class FeeStatus:
    UNPAID = "unpaid"
    PAID = "paid"
    ALL = (UNPAID, PAID)
    LABELS = {UNPAID: "待缴费", PAID: "已缴费"}


class LearningInstitute(Model):
    """会计学院: a national accounting institute whose online courses members may take."""
    __label__ = "会计学院"

    __tablename__ = "learning_institute"
    __scope__ = Scope.public_read()  # every signed-in user reads the institutes

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    phone: Mapped[Optional[str]] = mapped_column(String(64))      # 咨询电话
    website: Mapped[Optional[str]] = mapped_column(String(200))   # 学习网址
    fee: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False, default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # 交费说明 a 非执业会员 sees on its 待缴费 fee (staff maintain them on 会计学院)
    pay_payee: Mapped[Optional[str]] = mapped_column(String(100))     # 收款单位
    pay_bank: Mapped[Optional[str]] = mapped_column(String(100))      # 开户银行
    pay_account: Mapped[Optional[str]] = mapped_column(String(40))    # 收款账号
    pay_note: Mapped[Optional[str]] = mapped_column(String(500))      # 其他交费说明

    def __repr__(self) -> str:
        return self.name


class Course(Model):
    """网络课程: one course of an institute for one year (required or elective)."""
    __label__ = "网络课程"

    __tablename__ = "learning_course"
    __table_args__ = (UniqueConstraint("institute_id", "year", "code",
                                       name="uq_learning_course_code"),
                      Index("ix_learning_course_year", "year", "institute_id"))
    __scope__ = Scope.public_read()

    id: Mapped[int] = mapped_column(primary_key=True)
    institute_id: Mapped[int] = mapped_column(ForeignKey("learning_institute.id"), nullable=False)
    institute: Mapped[LearningInstitute] = relationship(LearningInstitute)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)  # the institute's own id
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    category: Mapped[str] = mapped_column(String(8), nullable=False, default="专业课")
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return self.title


class InstituteChoice(Model):
    """学院选择: the one institute a person studies at in a year (locked once made)."""
    __label__ = "学院选择"

    __tablename__ = "learning_choice"
    __table_args__ = (UniqueConstraint("person_id", "year", name="uq_learning_choice_year"),
                      Index("ix_learning_choice_institute", "institute_id", "year"))
    __scope__ = Scope(firm="person.firm_id", person="person_id", provider="institute_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    person: Mapped[Person] = relationship(Person)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    institute_id: Mapped[int] = mapped_column(ForeignKey("learning_institute.id"), nullable=False)
    institute: Mapped[LearningInstitute] = relationship(LearningInstitute)
    chosen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)

    def __repr__(self) -> str:
        return f"{self.year}年度选择{self.institute.name if self.institute else ''}"


class LessonProgress(Model):
    """学习进度: one course a learner finished (待评价), evaluated (已评价) and credited."""
    __label__ = "学习进度"

    __tablename__ = "lesson_progress"
    __labels__ = {"status": ProgressStatus.LABELS}  # the codes' words
    __table_args__ = (UniqueConstraint("person_id", "course_id", name="uq_lesson_progress"),
                      Index("ix_lesson_progress_status", "status", "evaluated_at"),
                      Index("ix_lesson_progress_person_year", "person_id", "year"))
    __scope__ = Scope(firm="person.firm_id", person="person_id", provider="institute_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    person: Mapped[Person] = relationship(Person)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    institute_id: Mapped[int] = mapped_column(ForeignKey("learning_institute.id"), nullable=False)
    institute: Mapped[LearningInstitute] = relationship(LearningInstitute)
    course_id: Mapped[int] = mapped_column(ForeignKey("learning_course.id"), nullable=False)
    course: Mapped[Course] = relationship(Course)
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=ProgressStatus.TO_EVALUATE)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    evaluated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    score: Mapped[Optional[int]] = mapped_column(Integer)          # 评价: 1-5
    comment: Mapped[Optional[str]] = mapped_column(String(500))
    credited_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return self.course.title if self.course else f"学习进度{self.id}"


class LearningFee(Model):
    """学习费用: a non-practicing member's fee order for a year's online learning."""
    __label__ = "网络学习费用"

    __tablename__ = "learning_fee"
    __labels__ = {"status": FeeStatus.LABELS}  # the codes' words
    __table_args__ = (UniqueConstraint("person_id", "year", name="uq_learning_fee_year"),
                      UniqueConstraint("reference", name="uq_learning_fee_reference"),
                      Index("ix_learning_fee_status", "status", "year"))
    __scope__ = Scope(firm="person.firm_id", person="person_id")
    __actors__ = Actors(person="person_id")  # the 非执业会员 pays its own fee

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), nullable=False)
    person: Mapped[Person] = relationship(Person)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    institute_id: Mapped[int] = mapped_column(ForeignKey("learning_institute.id"), nullable=False)
    institute: Mapped[LearningInstitute] = relationship(LearningInstitute)
    amount: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=FeeStatus.UNPAID)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    paid_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    receipt: Mapped[Optional[str]] = mapped_column(String(100))  # 收款凭证号 / 备注
    # 缴费编号: what the member writes as 汇款附言, so staff match a payment to its order
    reference: Mapped[Optional[str]] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"{self.year}年度网络学习费用"
