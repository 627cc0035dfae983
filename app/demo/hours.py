"""Demo hours: the yearly requirements of this year and last (DESIGN §3a defaults, with a
思政 minimum set by staff for CPAs this year), and a year of plausible hours for the demo
persons — most pass, some fail for each reason (total after caps, face-to-face, ethics,
思政) — credited through the ledger like any other source."""
import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import CpeRequirement, Person, PersonType
from app.workflows.hours import ledger
from app.workflows.hours.rules import DEFAULTS, FIELDS

COURSES = {  # (title, category, delivery, hours)
    "f2f": [("新收入准则审计实务", "专业课", "面授", "8.0"), ("集团财务报表审计", "专业课", "面授", "8.0"),
            ("事务所内部质量管理培训", "专业课", "执业机构内培", "6.0")],
    "online": [("数据分析在审计中的应用（网络）", "专业课", "网络课程", "12.0"),
               ("税法最新变化解读（网络）", "专业课", "网络课程", "10.5"),
               ("企业内部控制审计（网络）", "专业课", "网络课程", "8.0")],
    "ethics": [("注册会计师职业道德守则", "职业道德", "面授", "4.0")],
    "sizheng": [("学习贯彻党的二十大精神", "思政", "网络课程", "4.0")],
}
# the demo member short of face-to-face hours this year (its home page reads 「还差面授 8
# 学时、职业道德 2 学时」): 40 有效学时 (8 面授 + 24 of 28.5 online + 6 产出式 + 2 投入式), of
# which 8 面授 and 2 职业道德; the demo printout lists it with that note
SHORT_OF_F2F = "110100040001"
SHORT_PLAN = [("新收入准则审计实务", "专业课", "面授", "8.0"),
              ("数据分析在审计中的应用（网络）", "专业课", "网络课程", "12.0"),
              ("税法最新变化解读（网络）", "专业课", "网络课程", "10.5"),
              ("学习贯彻党的二十大精神", "思政", "网络课程", "4.0"),
              ("审计案例研究论文发表", "专业课", "产出式", "6.0"),
              ("职业道德案例研讨", "职业道德", "投入式", "2.0")]
# what each demo person studies: a full year, or a year missing one kind
PLANS = ["full", "full", "full", "no_f2f", "no_ethics", "online_only", "full", "short", "full",
         "no_sizheng"]


def _records(plan):
    f2f, online = COURSES["f2f"], COURSES["online"]
    full = f2f[:2] + online[:2] + COURSES["ethics"] + COURSES["sizheng"]
    return {"full": full,
            "no_f2f": online + COURSES["ethics"] + COURSES["sizheng"],
            "no_ethics": f2f + online[:2] + COURSES["sizheng"],
            "online_only": online + online[:1] + COURSES["sizheng"],
            "short": f2f[:1] + COURSES["ethics"],
            "no_sizheng": f2f + online[:2] + COURSES["ethics"]}[plan]


def seed(now: dt.datetime):
    year = now.year
    for y in (year - 1, year):
        for person_type in PersonType.ALL:
            values = {f: getattr(DEFAULTS[person_type], f) for f in FIELDS}
            if y == year and person_type == PersonType.CPA:
                values["min_sizheng"] = Decimal(2)
            db.session.add(CpeRequirement(year=y, person_type=person_type, **values))
    db.session.flush()
    rng, times = random.Random(2026), random.Random(8)
    people = db.session.execute(
        select(Person).where(Person.person_type != PersonType.OTHER).order_by(Person.id)).scalars()
    entries, short = [], None
    for index, person in enumerate(people):
        for y in (year - 1, year):
            plan = PLANS[(index + y) % len(PLANS)]
            records = _records(plan)
            if y == year and person.cert_number == SHORT_OF_F2F:
                records, short = SHORT_PLAN, person
            for number, (title, category, delivery, amount) in enumerate(records):
                obtained = dt.date(y, rng.randint(1, 11 if y == year else 12), rng.randint(1, 28))
                # 获得时间 to the second as the manual shows it (a separate generator: the
                # days and hours drawn above stay what they were)
                moment = dt.datetime.combine(obtained, dt.time(
                    times.randint(8, 21), times.randint(0, 59), times.randint(0, 59)))
                obtained = min(moment.replace(tzinfo=clock.LOCAL_TZ), now)
                entries.append(dict(
                    source_kind="import", source_id=f"demo:{person.id}:{y}:{number}",
                    person_id=person.id, year=y, title=title, category=category,
                    delivery=delivery, hours=amount, obtained_at=obtained, acquisition="正常",
                    # 课程时长: online lessons report their minutes (about 45 an hour)
                    minutes=round(float(amount) * 45) if delivery == "网络课程" else None))
    # one batch through the ledger, as a daily import credits its rows (the same checks and
    # records as one credit per row, without a transaction per record)
    ledger.credit_many(None, now, entries)
    _certificates(now)
    if short is None:
        return []
    return [("Member", short.cert_number, short.id_number[-6:],
             f"注册会计师 {short.name}：本年度面授学时不足（首页显示「还差面授 8 学时、职业道德 2 学时」）")]


def _certificates(now: dt.datetime) -> None:
    """学时证明: the first demo CPA downloaded one for both years, and staff issued one for
    another firm's CPA; both verify at /verify/hours/<code>."""
    from flask_appbuilder.security.sqla.models import User

    from app.workflows.hours import certificates

    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(["110100010001", "110100020001", "staff"])))}
    for login, actor in (("110100010001", "110100010001"), ("110100020001", "staff")):
        person = db.session.execute(select(Person).where(Person.cert_number == login)).scalar()
        if person is None or actor not in users:
            continue
        years = certificates.years_with_hours(db.session, person)
        if years:
            certificates.issue_certificate(users[actor], now - dt.timedelta(days=3),
                                           person.id, years[:2] if login == actor else years[1:2])
