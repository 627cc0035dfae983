"""Demo 审核中心: what the other domains' demo data leaves no row of, so that every queue of
the review centre holds items for the demo staff user — a person a firm's roster asked to
move in (人员转入, waiting for staff since the person did not answer), consultations from a
firm and from a member awaiting the institute's reply. All through the domains' workflows."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Firm, Person, PersonStatus, PersonType
from app.workflows import messages
from app.workflows.registry import transfers


def seed(now: dt.datetime):
    users = {u.username: u for u in db.session.scalars(select(User))}
    firms = db.session.scalars(select(Firm).order_by(Firm.code)).all()
    if "staff" not in users or len(firms) < 3:
        return []
    # 1. 人员转入: the third firm's roster lists two of the second firm's 其他从业人员
    movers = db.session.scalars(select(Person).where(
        Person.firm_id == firms[1].id, Person.person_type == PersonType.OTHER,
        Person.status == PersonStatus.ACTIVE).order_by(Person.id.desc()).limit(2)).all()
    for days, person in zip((9, 2), movers):
        transfers.request_many(users[firms[2].admin_username], now - dt.timedelta(days=days),
                               firms[2], [{"id": person.id, "position": "审计员",
                                           "person_type": PersonType.OTHER}])
    # 2. 咨询消息 awaiting the institute: a firm (three days ago) and a member (yesterday)
    admin = users.get(firms[1].admin_username)
    if admin is not None:
        messages.start_consultation(
            admin, now - dt.timedelta(days=3), "关系转移",
            "我所一名注册会计师拟从外省转入北京，请问除关系转移材料外是否还需原注协出具的证明？")
    member = next((u for login, u in sorted(users.items())
                   if login.startswith(firms[0].code) and len(login) == 12), None)
    if member is not None:
        messages.start_consultation(
            member, now - dt.timedelta(days=1), "信息变更",
            "本人更换了手机号码，信息变更时是否需要上传新的手机号实名证明？")
    db.session.commit()
    return []
