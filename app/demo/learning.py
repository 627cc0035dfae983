"""Demo 网络学习: the three national accounting institutes with this year's and last year's
courses, an LMS account for each (role Institute), and learners in every state through the
domain's rules: a CPA with required lessons credited, one waiting for evaluation and an
elective waiting for the required ones; a CPA whose lesson was evaluated today (次日计入);
a 非执业会员 whose fee is unpaid (缴费后计入) and one whose fee was confirmed and lessons
credited; the managed CPA has not chosen yet (the choice page)."""
import datetime as dt
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (Account, Course, Firm, LearningInstitute, Person, PersonStatus,
                        PersonType)
from app.roles import INSTITUTE, MEMBER
from app.workflows.accounts.logins import create_account
from app.workflows.core import commands
from app.workflows.core.scoping import SystemActor
from app.workflows.learning import crediting, fees, lms, rules
from app.workflows.learning import member as learning_member

INSTITUTES = (
    ("BNAI", "北京国家会计学院", "https://www.nai.edu.cn", "lms-bnai", "Bnai2026lms"),
    ("SNAI", "上海国家会计学院", "https://www.snai.edu", "lms-snai", "Snai2026lms"),
    ("XNAI", "厦门国家会计学院", "https://www.xnai.edu.cn", "lms-xnai", "Xnai2026lms"),
)
# 交费说明 (咨询电话, 收款单位, 开户银行, 收款账号): 上海 has not entered an account yet, so its
# members are told to call (both states of the member's 待缴费 panel)
PAYMENT = {
    "BNAI": ("010-64505128", "北京国家会计学院", "中国工商银行北京顺义支行", "0200 0421 0902 0188 856"),
    "SNAI": ("021-69768000", None, None, None),
    "XNAI": ("0592-2578118", "厦门国家会计学院", "中国银行厦门思明支行", "4133 5837 2105"),
}
# (code, title, required, category, hours)
COURSES = (
    ("R01", "注册会计师职业道德守则解读", True, "职业道德", "4"),
    ("R02", "企业会计准则年度更新", True, "专业课", "6"),
    ("R03", "审计准则与质量管理准则要点", True, "专业课", "6"),
    ("E01", "数据分析在审计中的应用", False, "专业课", "4"),
    ("E02", "上市公司财务舞弊识别", False, "专业课", "4"),
    ("E03", "政府会计制度实务", False, "专业课", "3"),
    ("E04", "新时代中国特色社会主义思想专题", False, "思政", "2"),
)


def _user(username):
    return db.session.scalars(select(User).filter_by(username=username)).first()


def _learner(firm_id, person_type, skip=0):
    return db.session.scalars(
        select(User).join(Account, Account.user_id == User.id)
        .join(Person, Person.id == Account.person_id)
        .where(Person.firm_id == firm_id, Person.person_type == person_type,
               Person.status == PersonStatus.ACTIVE, User.roles.any(name=MEMBER))
        .order_by(Person.id).offset(skip)).first()


def seed(now: dt.datetime):
    year = clock.local_today(now).year
    institutes, lms_users = [], {}
    for number, (code, name, site, login, password) in enumerate(INSTITUTES):
        phone, payee, bank, account = PAYMENT[code]
        institute = LearningInstitute(code=code, name=name, website=site, phone=phone,
                                      fee=Decimal("200.00"), active=True, pay_payee=payee,
                                      pay_bank=bank, pay_account=account,
                                      pay_note="可开具电子发票，请在汇款后3个工作日内查询缴费状态"
                                      if account else None)
        db.session.add(institute)
        db.session.flush()
        for y in (year, year - 1):
            for c_code, title, required, category, hours in COURSES:
                db.session.add(Course(institute_id=institute.id, year=y, code=f"{y}{c_code}",
                                      title=title if number == 0 else f"{title}（{name[:2]}）",
                                      required=required, category=category,
                                      hours=Decimal(hours), active=True))
        user = create_account(username=login, display_name=f"{name}接口", role_name=INSTITUTE,
                              password=password, now=now, must_change_password=False)
        user.account.learning_institute_id = institute.id
        institutes.append(institute)
        lms_users[code] = user
    # saved before the learners' story: the daily run below ends its reading transaction
    commands.save(SystemActor("系统（演示数据）"), now)
    firms = list(db.session.scalars(select(Firm).order_by(Firm.code).limit(3)))
    if len(firms) < 2:
        return []
    # chosen first, studied after, all inside the year and never after now (on 1 January
    # the whole story happens in the minutes since midnight)
    start = dt.datetime(year, 1, 1, tzinfo=clock.LOCAL_TZ).astimezone(dt.timezone.utc)
    minute = dt.timedelta(minutes=1)
    chose = min(max(now - dt.timedelta(days=10), start), now)
    earlier = min(max(now - dt.timedelta(days=3), chose + minute), now)
    before = min(max(now - dt.timedelta(days=2), earlier + minute), now)

    def study(user, lms_user, codes, evaluated=True, when=earlier, evaluated_at=None):
        cert = user.account.person.cert_number
        for code in codes:
            lms.report_completion(lms_user, now, cert_number=cert, year=year,
                                    course_code=f"{year}{code}", completed_at=when.isoformat())
            if evaluated:
                at = evaluated_at or min(when + dt.timedelta(minutes=30), now)
                lms.report_evaluation(lms_user, now, cert_number=cert, year=year,
                                        course_code=f"{year}{code}", score=5,
                                        comment="内容实用，讲解清楚", evaluated_at=at.isoformat())

    staff = _user("staff")
    # a CPA of the first firm at 北京: R01, R02 credited, R03 to evaluate, E01 waiting
    first = _learner(firms[0].id, PersonType.CPA)
    if first is not None:
        learning_member.choose_institute(first, chose, institutes[0].id)
        study(first, lms_users["BNAI"], ["R01", "R02", "E01"])
        study(first, lms_users["BNAI"], ["R03"], evaluated=False, when=before)
    # a CPA of the second firm at 上海: every required lesson credited, an elective
    # evaluated today (credited tomorrow)
    second = _learner(firms[1].id, PersonType.CPA)
    if second is not None:
        learning_member.choose_institute(second, chose, institutes[1].id)
        study(second, lms_users["SNAI"], ["R01", "R02", "R03"])
        study(second, lms_users["SNAI"], ["E02"], when=max(now - dt.timedelta(minutes=40), before),
              evaluated_at=now)
    # 非执业会员: one at 厦门 with the fee unpaid, one at 北京 with the fee confirmed
    unpaid = _learner(firms[0].id, PersonType.NON_PRACTICING)
    if unpaid is not None:
        learning_member.choose_institute(unpaid, chose, institutes[2].id)
        study(unpaid, lms_users["XNAI"], ["R01", "E03"])
    paid = _learner(firms[1].id, PersonType.NON_PRACTICING) or \
        _learner(firms[0].id, PersonType.NON_PRACTICING, skip=1)
    if paid is not None and staff is not None:
        learning_member.choose_institute(paid, chose, institutes[0].id)
        study(paid, lms_users["BNAI"], ["R02", "E02", "E04"])
        fees.mark_paid(staff, now, rules.fee_of(paid.account.person_id, year).id,
                        remark="银行转账 20261115-0032")
    crediting.credit_due(SystemActor("定时任务"), now)  # the daily run, as overnight
    return [("Institute", login, password, f"{name}网络学习接口账号（仅API）")
            for code, name, site, login, password in INSTITUTES]

