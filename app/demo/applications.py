"""Demo 学时申请: the first three firms' member CPAs and a 非执业会员 of the first firm file
投入式 / 产出式 / 豁免 applications through the domain's rules, in every state: 未确认,
已确认 (hours credited / exemption recorded), 不予确认 (with its reason), and one refused,
corrected and filed again."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Account, Firm, Person, PersonStatus, PersonType
from app.roles import MEMBER
from app.workflows.applications import rules
from app.workflows.applications.rules import ApplicationInput as A
from app.workflows.core import files

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _proof(name):
    return [files.Upload.from_bytes(name, PDF)]


def _user(username):
    return db.session.scalars(select(User).filter_by(username=username)).first()


def _member_of(firm):
    return db.session.scalars(
        select(User).join(Account, Account.user_id == User.id)
        .where(Account.firm_id == firm.id, Account.person_id.is_not(None))
        .order_by(User.id)).first()


def seed(now: dt.datetime):
    firms = list(db.session.scalars(select(Firm).order_by(Firm.code).limit(3)))
    staff = _user("staff")
    if len(firms) < 3 or staff is None:
        return []
    members = [_member_of(f) for f in firms]
    if any(m is None for m in members):
        return []
    year = clock.local_today(now).year
    first, second, third = members
    # first member: every state of every kind
    taught = rules.file_application(first, now, A(
        kind="产出式", year=year, route="在协会组织的培训中授课", quantity="4",
        organizer="北京注册会计师协会", remark="2期新准则培训授课"), _proof("授课通知及签到表.pdf"))
    rules.confirm(staff, now, taught.id)
    rules.file_application(first, now, A(
        kind="投入式", year=year, route="参加其他机构举办的专业培训", organizer="北京国家会计学院",
        hours="16", category="专业课", remark="审计数字化转型研修班"), _proof("结业证书.pdf"))
    research = rules.file_application(first, now, A(
        kind="产出式", year=year, route="承担行业课题研究", quantity="1",
        remark="中小所质量管理课题"), _proof("课题立项书.pdf"))
    rules.refuse(staff, now, research.id, remark="课题尚未结题，请结题后提供结题证明再申请")
    abroad = rules.file_application(first, now, A(
        kind="豁免", year=year - 1, route="出国（境）六个月以上", remark="外派香港工作"),
        _proof("出入境记录.pdf"))
    rules.refuse(staff, now, abroad.id, remark="出入境记录显示境外时间不足六个月")
    # second member: refused, corrected, filed again and confirmed; an exemption waiting
    standard = rules.file_application(second, now, A(
        kind="产出式", year=year, route="参与起草专业标准", quantity="2",
        remark="参与起草两项执业准则问题解答"), _proof("起草任务书.pdf"))
    rules.refuse(staff, now, standard.id, remark="请补充中注协出具的参与证明")
    rules.update_application(second, now, standard.id, A(
        year=year, route="参与起草专业标准", quantity="2", remark="已补充参与证明"),
        _proof("中注协参与证明.pdf"))
    rules.confirm(staff, now, standard.id)
    rules.file_application(second, now, A(
        kind="豁免", year=year, route="生育（产假）", remark="产假自3月起"), _proof("生育证明.pdf"))
    # third member: an 投入式 confirmed, a 产出式 waiting
    seminar = rules.file_application(third, now, A(
        kind="投入式", year=year, route="参加专业研讨会或论坛", organizer="中国会计学会",
        hours="6", category="专业课", remark="年会分论坛"), _proof("参会证明.pdf"))
    rules.confirm(staff, now, seminar.id)
    rules.file_application(third, now, A(
        kind="产出式", year=year, route="参加执业质量检查", quantity="5",
        remark="参加协会组织的执业质量检查"), _proof("检查工作安排.pdf"))
    # a 非执业会员 of the first firm (its roster account): a confirmed exemption (requirement
    # halved) and an 投入式 waiting
    member = db.session.scalars(
        select(User).join(Account, Account.user_id == User.id).join(
            Person, Person.id == Account.person_id)
        .where(Person.firm_id == firms[0].id, Person.person_type == PersonType.NON_PRACTICING,
               Person.status == PersonStatus.ACTIVE, User.roles.any(name=MEMBER))
        .order_by(Person.id)).first()
    if member is not None:
        sick = rules.file_application(member, now, A(
            kind="豁免", year=year, route="因病休假六个月以上", remark="住院治疗"),
            _proof("诊断证明.pdf"))
        rules.confirm(staff, now, sick.id)
        rules.file_application(member, now, A(
            kind="投入式", year=year, route="参加高等院校相关课程进修", organizer="中央财经大学",
            hours="8", category="专业课", remark="财务分析课程"), _proof("进修证明.pdf"))
    return []
