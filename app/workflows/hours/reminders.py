"""The monthly continuing-education reminder (issue 7 "Jobs").

From 1 October each year, once a month (October, November, December), every person not yet
compliant for the current year gets a 系统消息 (and mail where bound), and every firm admin
gets one summary: how many of the firm's people are not yet compliant.

Who is not compliant comes from the SQL aggregate `year_select` (the same rules as
`person_year`, no Python loop computing each person): 撤销 persons are left out, exempt
persons and those without a requirement (其他从业人员) pass by the rules themselves.
Idempotent per person (firm admin) and month through the reminder log (`remind`): the job
runs daily, and a second run in the same month sends nothing new; a person who falls behind
later in the month (e.g. newly registered) is reminded on the next day's run.
"""
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Account, Person, PersonStatus, PersonType, ReminderLog
from app.roles import FIRM_ADMIN
from app.workflows.core.commands import command
from app.workflows.core.jobs import job
from app.workflows.core.scoping import SystemActor
from app.workflows.hours.rules import YearResult, year_select
from app.workflows.messages.reminders import remind

FIRST_MONTH = 10
PERSON_KIND = "cpe_monthly"
FIRM_KIND = "cpe_monthly_firm"


def _month_key(local: dt.datetime) -> str:
    return f"{local.year}-{local.month:02d}"


def _sentence(year: int, row) -> str:
    return YearResult(year=year, obtained=row.obtained, face_to_face=row.face_to_face,
                      ethics=row.ethics, sizheng=row.sizheng, passed=False).sentence


def _not_compliant(session, year: int):
    """(person id, firm id, person type, totals) of active persons not passing `year`."""
    rows = year_select(session, year).add_columns(
        Person.firm_id.label("firm_id"), Person.person_type.label("person_type")).where(
        Person.status == PersonStatus.ACTIVE).subquery("rows")
    return select(rows).where(rows.c.passed.is_(False))


@command
def send_monthly_reminders(actor, now: dt.datetime) -> dict:
    local = clock.to_local(now)
    counts = {"persons": 0, "firm_admins": 0}
    if local.month < FIRST_MONTH:
        return counts
    year, month = local.year, _month_key(local)
    behind = _not_compliant(db.session, year).subquery("behind")
    deadline = f"{year}年12月31日"

    # persons with an account, not yet reminded this month (remind() is the guarantee;
    # the anti-join only spares the daily re-runs one refused insert per person)
    already = select(ReminderLog.user_id).where(
        ReminderLog.kind == PERSON_KIND, ReminderLog.target == str(year),
        ReminderLog.threshold == month)
    people = db.session.execute(
        select(behind, User).join(Account, Account.person_id == behind.c.person_id)
        .join(User, User.id == Account.user_id)
        .where(User.active.is_(True), User.id.not_in(already))
        .order_by(behind.c.person_id)).all()
    for row in people:
        user = row[-1]
        body = (f"{_sentence(year, row)}请于{deadline}前完成本年度继续教育学时，"
                f"可在“学时查询”中查看明细。")
        if remind(user, PERSON_KIND, year, [month], now,
                  f"【继续教育提醒】您{year}年继续教育学时尚未达标", body):
            counts["persons"] += 1

    # one summary per firm admin: how many of the firm's people are not yet compliant
    per_firm = db.session.execute(
        select(behind.c.firm_id, behind.c.person_type, func.count())
        .where(behind.c.firm_id.is_not(None))
        .group_by(behind.c.firm_id, behind.c.person_type)).all()
    firms: dict[int, dict[str, int]] = {}
    for firm_id, person_type, count in per_firm:
        firms.setdefault(firm_id, {})[person_type] = count
    if firms:
        admins = db.session.execute(
            select(Account.firm_id, User).join(User, User.id == Account.user_id)
            .where(Account.firm_id.in_(firms), Account.person_id.is_(None),
                   User.active.is_(True), User.roles.any(name=FIRM_ADMIN))
            .order_by(User.id)).all()
        for firm_id, user in admins:
            by_type = firms[firm_id]
            total = sum(by_type.values())
            detail = "，".join(f"{t}{by_type[t]}人" for t in PersonType.ALL if by_type.get(t))
            body = (f"截至{local.month}月{local.day}日，本所{year}年继续教育学时尚未达标的人员共"
                    f"{total}人（{detail}）。请提醒相关人员于{deadline}前完成，"
                    f"可在“学时查询”中查看每人的学时。")
            if remind(user, FIRM_KIND, f"{firm_id}:{year}", [month], now,
                      f"【继续教育提醒】本所{year}年有{total}人学时尚未达标", body):
                counts["firm_admins"] += 1
    return counts


@job("cpe_monthly_reminder", schedule="daily:09:00",
     description="每年10月1日起每月提醒本年度继续教育学时尚未达标的人员，并向事务所管理员发送未达标人数汇总",
     labels={"persons": "已提醒人员", "firm_admins": "已提醒事务所管理员"})
def cpe_monthly_reminder(now: dt.datetime) -> dict:
    return send_monthly_reminders(SystemActor("定时任务"), now)


__all__ = ["cpe_monthly_reminder", "send_monthly_reminders"]
