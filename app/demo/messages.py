"""Demo 消息中心: a notice every user has not read yet, a consultation staff opened with the
first firm (waiting for the firm's answer) and one the second firm asked (waiting for the
institute) — so the firm admin's 待办, the member's unread count and staff's 咨询待回复 queue
each have something. All through the messages workflows."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Firm
from app.models.messages import Audience
from app.workflows import messages


def seed(now: dt.datetime):
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(["staff", "P11010001", "P11010002"])))}
    staff = users.get("staff")
    if staff is None:
        return []
    sent = now - dt.timedelta(days=1)
    messages.save_notice(staff, sent, messages.NoticeInput(
        title="关于做好本年度注册会计师继续教育学时确认工作的通知",
        body="<p>各会计师事务所、各位会员：</p><p>请于12月31日前登录系统核对本年度继续教育学时，"
             "面授学时或职业道德学时不足的，请及时参加协会面授班或报名事务所内部培训。</p>",
        audience=Audience.EVERYONE, publish_at=sent))
    first = db.session.scalar(select(Firm).where(Firm.code == "11010001"))
    if first is not None:
        messages.start_consultation(
            staff, now - dt.timedelta(hours=6), "信息补录",
            "贵所本年度内部培训学员名单中有2名人员身份证号与注册信息不一致，请核对后回复。",
            firm_id=first.id)
    asker = users.get("P11010002")
    if asker is not None:
        messages.start_consultation(
            asker, now - dt.timedelta(hours=3), "关系转移",
            "我所一名注册会计师拟转入外省事务所，请问转出手续需要提交哪些材料？")
    return []
