"""Rows of 网络学习 for the isolation matrix. Institutes and courses are read by everyone.
Choices and lesson progress: A's member studies at 隔离甲学院, A's colleague and B's CPA at
隔离乙学院; the LMS account of 隔离甲学院 (login lms-iso, role Institute) reaches only its own
learner's rows. Fee orders are the member's, its firm's and staff's only — never an LMS's."""
from decimal import Decimal

from app.models import ProgressStatus
from app.models import FeeStatus
from app.extensions import db
from app.models import (Course, InstituteChoice, LearningFee, LearningInstitute,
                        LessonProgress)
from app.roles import FIRM_ADMIN, INSTITUTE, MEMBER
from app.workflows.accounts.logins import create_account
from tests.helpers import NOW, PASSWORD

LMS_LOGIN = "lms-iso"


def _institute(code, name):
    row = LearningInstitute(code=code, name=name, fee=Decimal("100"), active=True)
    db.session.add(row)
    db.session.flush()
    return row


def _course(institute, code, title):
    row = Course(institute_id=institute.id, year=2026, code=code, title=title, required=True,
                 category="专业课", hours=Decimal("2"), active=True)
    db.session.add(row)
    db.session.flush()
    return row


def _learner(person_id, institute, course):
    choice = InstituteChoice(person_id=person_id, year=2026, institute_id=institute.id,
                             chosen_at=NOW)
    progress = LessonProgress(person_id=person_id, year=2026, institute_id=institute.id,
                              course_id=course.id, status=ProgressStatus.TO_EVALUATE, completed_at=NOW)
    fee = LearningFee(person_id=person_id, year=2026, institute_id=institute.id,
                      amount=institute.fee, status=FeeStatus.UNPAID, created_at=NOW,
                      receipt=f"{course.title}凭证")
    db.session.add_all([choice, progress, fee])
    db.session.flush()
    return choice.id, progress.id, fee.id


def rows(world, app):
    with app.app_context():
        mine = _institute("iso-a", "隔离甲学院")
        other = _institute("iso-b", "隔离乙学院")
        own = _learner(world.a_people[0], mine, _course(mine, "C1", "甲所本人课程"))
        colleague = _learner(world.a_people[1], other, _course(other, "C2", "甲所同事课程"))
        foreign = _learner(world.b_people[0], other, _course(other, "C3", "乙所学员课程"))
        lms = create_account(username=LMS_LOGIN, display_name="隔离甲学院接口",
                             role_name=INSTITUTE, password=PASSWORD, now=NOW,
                             must_change_password=False)
        lms.account.learning_institute_id = mine.id
        courses = [(c.id, c.title) for c in db.session.query(Course).filter(
            Course.code.in_(("C1", "C2", "C3")))]
        db.session.commit()
        public = {LearningInstitute: [(mine.id, "隔离甲学院"), (other.id, "隔离乙学院")],
                  Course: courses}
    matrix = {model: {FIRM_ADMIN: {"foreign": [], "own": found},
                      MEMBER: {"foreign": [], "own": found},
                      INSTITUTE: {"foreign": [], "own": []}}
              for model, found in public.items()}
    # markers: the person's name on choices, the course title on progress, the receipt on fees
    for model, index, marks in (
            (InstituteChoice, 0, ("张一", "张二", "李一")),
            (LessonProgress, 1, ("甲所本人课程", "甲所同事课程", "乙所学员课程")),
            (LearningFee, 2, ("甲所本人课程凭证", "甲所同事课程凭证", "乙所学员课程凭证"))):
        o, c, f = (own[index], marks[0]), (colleague[index], marks[1]), (foreign[index], marks[2])
        matrix[model] = {
            FIRM_ADMIN: {"foreign": [f], "own": [o, c]},
            MEMBER: {"foreign": [f, c], "own": [o]},
            INSTITUTE: ({"foreign": [f, c], "own": [o]} if model is not LearningFee
                        else {"foreign": [f, c, o], "own": []}),
        }
    return matrix
