"""Demo 事务所内部培训: the first demo firm holds this year's approved qualification (next
year's pending), classes in every state — an approved one that ended last week with roster
entries approved (hours credited), rejected and waiting, one waiting for review, one
rejected, an ethics class — and this year's year-end report; the second firm's
qualification waits for review and the third's was rejected. Everything goes through the
domain's own rules (dates in the past are set directly, as the 7-day rule would refuse
them today)."""
import datetime as dt
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (Acquisition, Category, EntryStatus, Firm, InhouseClass,
                        InhouseRosterEntry, Person, PersonStatus, ReviewStatus)
from app.views.inhouse.common import _application_form_docx
from app.workflows.core import files
from app.workflows.core.sheets import simple_workbook
from app.workflows.inhouse import classes, qualification, reports, roster

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
LEVELS = ("合伙人(主、副主任合伙人)", "注册会计师", "项目经理", "审计员", "助理")


def _docx() -> bytes:
    return _application_form_docx()


def _uploads(firm_name):
    plan = simple_workbook("培训计划", ["月份", "课程", "学时"],
                           [["4月", "新收入准则审计实务", "16"], ["9月", "职业道德专题", "4"]])
    upload = files.Upload.from_bytes
    return {qualification.SCAN.name: upload(f"{firm_name}内培资格申请表（盖章）.pdf", PDF),
            qualification.WORD.name: upload(f"{firm_name}内培资格申请表.docx", _docx()),
            qualification.POLICY.name: upload("内部培训管理制度.pdf", PDF),
            qualification.PLAN.name: upload("年度培训计划.xlsx", plan)}


def _user(login):
    return db.session.scalars(select(User).where(User.username == login)).first()


def _class(firm, admin, now, name, start, days, hours, category=Category.PROFESSIONAL,
           address="公司会议室3021", leader="苗迈", contact="15019982611"):
    item = InhouseClass(firm_id=firm.id, year=start.year, name=name, category=category,
                        hours=Decimal(hours), start_date=start,
                        end_date=start + dt.timedelta(days=days - 1), address=address,
                        leader=leader, contact=contact, status=ReviewStatus.PENDING,
                        created_at=now)
    db.session.add(item)
    db.session.flush()
    classes.CLASS.start(item, admin, now, remark="上报培训班")
    return item


def _entry(item, person, now, level, acquisition=Acquisition.IN_HOUSE, hours=None):
    entry = InhouseRosterEntry(
        class_id=item.id, is_cpa=bool(person.cert_number), cert_number=person.cert_number,
        name=person.name, id_number=person.id_number, level=level, acquisition=acquisition,
        hours=Decimal(hours) if hours else item.hours, person_id=person.id,
        person_key=f"P{person.id}", status=EntryStatus.ENROLLED, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def seed(now: dt.datetime):
    firms = list(db.session.scalars(select(Firm).order_by(Firm.code).limit(3)))
    staff = _user("staff")
    if len(firms) < 3 or staff is None:
        return []
    today = clock.local_today(now)
    year = today.year
    first, second, third = firms
    admin = _user(first.admin_username)
    # qualifications: first firm approved this year, pending next year
    approved = qualification.apply_qualification(admin, now, year, _uploads(first.name))
    qualification.approve_qualification(staff, now, approved.id, remark="材料齐全")
    qualification.apply_qualification(admin, now, year + 1, _uploads(first.name))
    qualification.apply_qualification(_user(second.admin_username), now, year,
                                      _uploads(second.name))
    # a fourth firm qualified this year that has not uploaded its 年终总结报告 (staff see 未提交)
    others = list(db.session.scalars(select(Firm).order_by(Firm.code).offset(3).limit(1)))
    if others:
        pending = qualification.apply_qualification(_user(others[0].admin_username), now,
                                                    year, _uploads(others[0].name))
        qualification.approve_qualification(staff, now, pending.id, remark="材料齐全")
    rejected = qualification.apply_qualification(_user(third.admin_username), now, year,
                                                 _uploads(third.name))
    qualification.reject_qualification(staff, now, rejected.id,
                                       remark="培训计划未列明师资和学时，请补充后重新提交")

    people = list(db.session.scalars(select(Person).where(
        Person.firm_id == first.id, Person.status == PersonStatus.ACTIVE,
        Person.id_number.is_not(None)).order_by(Person.id)))
    # classes (dates relative to today, in this year)
    ended = max(today - dt.timedelta(days=8), dt.date(year, 1, 1))
    done = _class(first, admin, now, f"金融课程{year}一期", ended - dt.timedelta(days=1), 2, "16.0")
    ethics = _class(first, admin, now, f"{year}年职业道德专题培训", ended, 1, "4.0",
                    category=Category.ETHICS, address="科技园2号楼501", leader="苗苗")
    for item in (done, ethics):
        classes.approve_class(staff, now, item.id)
    upcoming = today + dt.timedelta(days=14)
    if upcoming.year == year:
        classes.add_class(admin, now, classes.ClassInput(
            name=f"金融课程{year}二期", category=Category.PROFESSIONAL, hours="8",
            start_date=upcoming, end_date=upcoming, address="科技园2号楼501", leader="苗苗",
            contact="15019982611"))
    wrong = _class(first, admin, now, "审计准则与职业道德综合班", ended - dt.timedelta(days=3), 1, "6.0")
    classes.reject_class(staff, now, wrong.id,
                         remark="职业道德内容须单独上报，不与其他班级混合上报")
    # reported for three weeks ahead and sent back: the firm may still correct and report it
    # until 7 days before the start (its 待办 内部培训班待重新上报)
    resend = _class(first, admin, now, "新租赁准则实务专题", today + dt.timedelta(days=21), 1, "6.0",
                    address="科技园2号楼501")
    classes.reject_class(staff, now, resend.id, remark="培训计划未列明授课老师的职称，请补充后重新上报")
    waiting = _class(first, admin, now, "数据分析在审计中的应用", ended, 1, "8.0",
                     address="公司会议室3022")
    # roster: approved (hours credited), rejected, and waiting entries
    entries = []
    for index, person in enumerate(people[:12]):
        entries.append(_entry(done, person, now, LEVELS[index % len(LEVELS)]))
    for index, person in enumerate(people[:4]):
        acquisition = Acquisition.TEACHING if index == 0 else Acquisition.IN_HOUSE
        _entry(ethics, person, now, LEVELS[index % len(LEVELS)], acquisition,
               "3.0" if index == 0 else None)
    for person in people[12:15]:
        _entry(waiting, person, now, "审计员")
    db.session.flush()
    if today > done.end_date:  # 「培训通过人员名单」: approved once the class has ended
        for entry in entries[:8]:
            roster.approve_entry(staff, now, entry.id, notify_firm=False)
    roster.reject_entry(staff, now, entries[8].id, remark="未参加第二天培训")
    reports.upload_report(admin, now, year, files.Upload.from_bytes(
        f"{first.name}{year}年度内部培训工作总结.pdf", PDF))
    return []
