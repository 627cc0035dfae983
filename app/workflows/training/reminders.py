"""Jobs of the classes: remind firms the day before a class's enrollment window closes
(classes with seats left), and remind the firms of enrolled people two days before the
class starts. Once per firm and class through the reminder log (`remind`), so the daily
job may run twice or late and sends nothing twice."""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import and_, func, select

from app import clock
from app.extensions import db
from app.models import Account, Enrollment, Firm, FirmStatus, TrainingClass
from app.workflows.core.commands import command
from app.workflows.messages import remind
from app.workflows.messages.recipients import quoted
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor
from app.workflows.training import seats

CLOSING_KIND = "training_enroll_closing"
STARTING_KIND = "training_class_starting"


def _firm_admins(firm_ids) -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    if not firm_ids:
        return found
    for user, firm_id in db.session.execute(
            select(User, Account.firm_id).join(Account, Account.user_id == User.id)
            .where(Account.firm_id.in_(list(firm_ids)), Account.person_id.is_(None))):
        found.setdefault(firm_id, []).append(user)
    return found


@command
def send_class_reminders(actor, now: dt.datetime) -> dict:
    counts = {"closing": 0, "starting": 0}
    today = clock.local_today(now)
    # the window closes within the next day (local): tell every active firm
    closing = db.session.scalars(select(TrainingClass).where(
        TrainingClass.enroll_end > now, TrainingClass.enroll_end <= now + dt.timedelta(days=1),
        TrainingClass.enroll_start <= now)).all()
    open_classes = [c for c in closing if seats.free(c, now) > 0]
    if open_classes:
        firms = db.session.scalars(select(Firm.id).where(Firm.status == FirmStatus.ACTIVE)).all()
        admins = _firm_admins(firms)
        for item in open_classes:
            until = clock.display(item.enroll_end, "%Y-%m-%d %H:%M")
            for firm_id, users in admins.items():
                for user in users:
                    if remind(user, CLOSING_KIND, item.id, ["1天"], now,
                              f"【报名提醒】{quoted(item.name)}报名即将截止",
                              f"协会培训班{quoted(item.name)}（{item.start_date.isoformat()}至"
                              f"{item.end_date.isoformat()}，{item.location}）报名将于{until}截止，"
                              f"尚有名额。如需参加，请到“协会培训班报名”办理。",
                              link="/training/classes/"):
                        counts["closing"] += 1
    # the class starts in two days: tell the firms of those enrolled
    starting = db.session.scalars(select(TrainingClass).where(
        TrainingClass.start_date > today,
        TrainingClass.start_date <= today + dt.timedelta(days=2))).all()
    for item in starting:
        firms = dict(db.session.execute(select(Enrollment.firm_id, func.count()).where(
            and_(Enrollment.class_id == item.id, Enrollment.firm_id.is_not(None),
                 seats.holds_seat()))
            .group_by(Enrollment.firm_id)).all())
        for firm_id, users in _firm_admins(firms).items():
            for user in users:
                if remind(user, STARTING_KIND, item.id, ["2天"], now,
                          f"【开班提醒】{quoted(item.name)}将于{item.start_date.isoformat()}开班",
                          f"本所报名参加{quoted(item.name)}的{firms[firm_id]}人将于"
                          f"{item.start_date.isoformat()}开始培训，地点：{item.location}。"
                          f"请通知相关人员按时参加。", link=f"/training/classes/{item.id}/roster"):
                    counts["starting"] += 1
    return counts


@job("training_class_reminders", schedule="daily:08:30",
     description="培训班报名截止前一天提醒事务所报名，开班前两天提醒已报名的事务所",
     labels={"closing": "报名截止提醒", "starting": "开班提醒"})
def training_class_reminders(now: dt.datetime) -> dict:
    return send_class_reminders(SystemActor("定时任务"), now)
