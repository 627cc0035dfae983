"""Builders for the 网络学习 tests: two institutes with this year's courses (two required,
two elective), an LMS account for each, and a 非执业会员 with a member login."""
from decimal import Decimal
from types import SimpleNamespace

from app.extensions import db
from app.models import Course, LearningInstitute, PersonType
from app.roles import INSTITUTE, MEMBER
from app.workflows.accounts.logins import create_account
from tests.helpers import NOW, PASSWORD, make_person, make_user

YEAR = 2026  # NOW is 2026-11-23 10:00 Beijing
COURSES = (("R1", "职业道德守则", True, "职业道德", "4"), ("R2", "会计准则更新", True, "专业课", "6"),
           ("E1", "数据审计", False, "专业课", "3"), ("E2", "舞弊识别", False, "专业课", "2.5"))


def _institute(code, name, fee="200.00"):
    institute = LearningInstitute(code=code, name=name, fee=Decimal(fee), active=True,
                                  phone="010-00000000")
    db.session.add(institute)
    db.session.flush()
    for c_code, title, required, category, hours in COURSES:
        db.session.add(Course(institute_id=institute.id, year=YEAR, code=c_code, title=title,
                              required=required, category=category, hours=Decimal(hours),
                              active=True))
    user = create_account(username=f"lms-{code.lower()}", display_name=f"{name}接口",
                          role_name=INSTITUTE, password=PASSWORD, now=NOW,
                          must_change_password=False)
    user.account.learning_institute_id = institute.id
    return institute


def build(app, world):
    """{bnai, snai: institute ids, lms_b / lms_s: LMS logins, np: the 非执业会员's login}."""
    with app.app_context():
        bnai = _institute("BNAI", "北京国家会计学院").id
        snai = _institute("SNAI", "上海国家会计学院", fee="150.00").id
        db.session.commit()
    np_person = make_person(app, world.a.id, "王非执", serial=21,
                            person_type=PersonType.NON_PRACTICING, cert_number="210000000021")
    make_user(app, "nonprac1", MEMBER, firm_id=world.a.id, person_id=np_person)
    b_member = make_user(app, "110100020001", MEMBER, firm_id=world.b.id,
                         person_id=world.b_people[0])
    return SimpleNamespace(bnai=bnai, snai=snai, lms_b="lms-bnai", lms_s="lms-snai",
                           np="nonprac1", np_person=np_person, b_member=b_member)
