"""Demo CPA专题培训: classes in every state (over with results, over awaiting results, open, full with a waiting
list and a live offer, not yet open, closed before the start, 注册会计师 only), handouts,
enrollments by form, by ticking and by a member, reviewed and with results that credited
hours — all through the training workflows, at times inside each class's window."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Firm, Person, PersonStatus, PersonType
from app.workflows.core import files
from app.workflows.training import classes, enrollment, review, waitlist

HANDOUT = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
           b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
           b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
           b"trailer<</Root 1 0 R>>\n" + b"%" + b"0" * 180000 + b"\n%%EOF\n")


def _day(now, days, hour=0, minute=0):
    local = clock.to_local(now).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local + dt.timedelta(days=days)


def _class(staff, now, name, *, start, days=1, opens, closes, capacity, hours, category="专业课",
           audience="从业人员和注册会计师", teacher=None, location="北京国家会计学院",
           handout=None, intro=None):
    start_date = _day(now, start).date()
    data = {"kind": "北京注协面授班", "name": name, "teacher": teacher, "hours": hours,
            "category": category, "start_date": start_date.isoformat(),
            "end_date": (start_date + dt.timedelta(days=days - 1)).isoformat(),
            "enroll_start": _day(now, opens).strftime("%Y-%m-%d %H:%M"),
            "enroll_end": _day(now, closes, 23, 59).strftime("%Y-%m-%d %H:%M"),
            "location": location, "capacity": capacity, "audience": audience,
            "intro": intro or f"{name}。请参训人员携带身份证按时签到，培训结束后由协会记录培训结果，"
                              f"合格的注册会计师计入继续教育学时。"}
    uploads = [files.Upload.from_bytes(handout, HANDOUT)] if handout else []
    return classes.save_class(staff, now - dt.timedelta(days=60), data, handouts=uploads)


def seed(now: dt.datetime):
    users = {u.username: u for u in db.session.scalars(select(User))}
    staff = users.get("staff")
    if staff is None:
        return []
    firms = db.session.scalars(select(Firm).order_by(Firm.code)).all()
    admins = [users[f.admin_username] for f in firms if f.admin_username in users]

    def cpas(firm, count):
        return db.session.scalars(select(Person).where(
            Person.firm_id == firm.id, Person.person_type == PersonType.CPA,
            Person.status == PersonStatus.ACTIVE, Person.cert_number.is_not(None))
            .order_by(Person.cert_number).limit(count)).all()

    def tick(admin, firm, item, count, at, skip=0):
        people = cpas(firm, count + skip)[skip:]
        return enrollment.enroll_ticked(admin, at, item.id, [{"person_id": p.id} for p in people])

    def other(admin, item, at, name, phone, position="助理"):
        return enrollment.enroll(admin, at, item.id, {
            "person_kind": "其他", "name": name, "phone": phone, "position": position,
            "gender": "男", "ethnicity": "汉族", "travel": "G102"})

    member_login = next((u for u in users if u.startswith("11010001") and len(u) == 12), None)
    member = users.get(member_login) if member_login else None

    # 1. over, with results (合格 credited the hours)
    past = _class(staff, now, "2026年第一期新批注册会计师诚信教育培训班", start=-30, days=2, opens=-45,
                  closes=-33, capacity=120, hours="16", category="职业道德", teacher="李明",
                  handout="诚信教育培训课件.pdf")
    at = _day(now, -40, 10).astimezone(dt.timezone.utc)
    rows = tick(admins[0], firms[0], past, 3, at, skip=1)
    rows += [other(admins[0], past, at, "孙浩", "18827250011")]
    rows += tick(admins[1], firms[1], past, 2, at)
    review.decide_many(staff, at, "approve", [r.id for r in rows])
    after = _day(now, -28, 9).astimezone(dt.timezone.utc)
    for index, row in enumerate(rows):
        review.set_result(staff, after, row.id, "不合格" if index == 2 else "合格")

    # 1b. over two days ago, approved, results not yet recorded (staff's 培训结果登记 queue)
    recent = _class(staff, now, "审计数据分析实务培训班", start=-2, opens=-20, closes=-6,
                    capacity=60, hours="8", teacher="刘洋")
    at = _day(now, -10, 10).astimezone(dt.timezone.utc)
    review.decide_many(staff, at + dt.timedelta(hours=2), "approve",
                       [r.id for r in tick(admins[2], firms[2], recent, 2, at, skip=3)])

    # 2. open now, enrollments in every review state
    open_ = _class(staff, now, "中小会计师事务所助理人员审计实操专题培训班", start=12, days=6, opens=-5,
                   closes=6, capacity=80, hours="48", teacher="王建国",
                   location="北京注协五层报告厅（海淀区西四环中路16号院7号楼5层501）",
                   handout="9月8日中小助理班全部课件.pdf")
    at = now - dt.timedelta(days=2)
    first = tick(admins[0], firms[0], open_, 2, at, skip=1)
    mine = [other(admins[0], open_, at, name, phone) for name, phone in
            (("赵磊", "18805160021"), ("韩杰", "18804160022"), ("杜强", "18811920023"))]
    theirs = tick(admins[2], firms[2], open_, 3, at)
    review.decide_many(staff, at + dt.timedelta(hours=3), "approve",
                       [r.id for r in first + mine[:2] + theirs[:2]])
    review.reject(staff, at + dt.timedelta(hours=3), theirs[2].id, remark="证书编号与姓名不符，请核对后重新报名")
    if member is not None:
        enrollment.enroll_self(member, now - dt.timedelta(hours=20), open_.id)

    # 3. full, with a waiting list: the first firm holds a live offer, a member waits
    full = _class(staff, now, "“数智赋能·人才重塑”——人工智能时代下注册会计师行业人才变革分享会",
                  start=8, opens=-6, closes=5, capacity=6, hours="4",
                  location="北京注册会计师协会五层报告厅")
    at = now - dt.timedelta(days=3)
    taken = tick(admins[3], firms[3], full, 3, at) + tick(admins[4], firms[4], full, 3, at)
    waitlist.join(admins[0], now - dt.timedelta(days=1), full.id)
    second_member = next((u for login, u in users.items() if login.startswith("11010002")
                          and len(login) == 12), None)
    if second_member is not None:
        waitlist.join(second_member, now - dt.timedelta(hours=20), full.id)
    enrollment.delete_enrollment(admins[4], now - dt.timedelta(hours=5), taken[-1].id)

    # 4. not yet open; 5. closed before the start (CPAs only); 6. open, CPAs only
    _class(staff, now, "企业可持续披露准则解读及相关业务介绍", start=25, opens=3, closes=15,
           capacity=100, hours="8", location="协会五层报告厅（海淀区西四环中路16号院7号楼五层501）")
    closed = _class(staff, now, "司法会计鉴定意见常见错误及纠正专题培训班", start=3, opens=-20,
                    closes=-1, capacity=120, hours="8", audience="注册会计师",
                    location="北京注协六层会议室（海淀区西四环中路16号院7号楼六层609）")
    tick(admins[1], firms[1], closed, 2, now - dt.timedelta(days=10), skip=2)
    _class(staff, now, "会计师事务所证券服务业务专题培训班", start=20, days=3, opens=-1, closes=14,
           capacity=72, hours="24", audience="注册会计师", teacher="陈静",
           handout="证券服务业务专题讲义.pdf")
    return []
