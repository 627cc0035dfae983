"""The monthly continuing-education reminder: nothing before October; from 1 October once a
month to each person not yet compliant (system message, and mail where bound) and one summary
per firm admin with the firm's count; a second run in the month sends nothing new; compliant,
exempt and revoked persons never hear from it."""
import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import User

from app.models import PersonStatus
from app.extensions import db
from app.models import Account, CpeExemption, Message, OutboxMail, Person, PersonType
from app.roles import MEMBER
from app.workflows import hours
from app.workflows.hours.reminders import cpe_monthly_reminder
from tests.helpers import NOW, make_person, make_user

EMAIL = "zhangyi@example.org"


def beijing(year, month, day, hour=9):
    return dt.datetime(year, month, day, hour, tzinfo=dt.timezone(dt.timedelta(hours=8))
                       ).astimezone(dt.timezone.utc)


def _credit(person_id, key, category, delivery, amount, year=2026):
    hours.credit(None, NOW, source_kind="import", source_id=f"remind:{person_id}:{key}",
                 person_id=person_id, year=year, title=f"课程{key}", category=category,
                 delivery=delivery, hours=amount, obtained_at=dt.date(year, 5, 1))


@pytest.fixture
def people(app, world):
    """Firm A: 张一 (member, behind, mail bound), 王达标 (compliant), 赵豁免 (exempt),
    钱无账号 (behind, no account), 孙撤销 (behind, revoked); firm B: 李一 (behind). Everyone
    else is 其他从业人员 (no requirement)."""
    compliant = make_person(app, world.a.id, "王达标", person_type=PersonType.CPA, serial=21,
                            cert_number="110100010021")
    exempt = make_person(app, world.a.id, "赵豁免", person_type=PersonType.CPA, serial=22,
                         cert_number="110100010022")
    no_account = make_person(app, world.a.id, "钱无账号", person_type=PersonType.CPA, serial=23,
                             cert_number="110100010023")
    revoked = make_person(app, world.a.id, "孙撤销", person_type=PersonType.CPA, serial=24,
                          cert_number="110100010024", status=PersonStatus.REVOKED)
    for login, person_id, firm_id in (("110100010021", compliant, world.a.id),
                                      ("110100010022", exempt, world.a.id),
                                      ("110100010024", revoked, world.a.id),
                                      ("110100020001", world.b_people[0], world.b.id)):
        make_user(app, login, MEMBER, firm_id=firm_id, person_id=person_id)
    with app.app_context():
        _credit(world.a_people[0], 1, "专业课", "面授", "8.0")  # 张一: 8 of 40
        for key, (category, delivery, amount) in enumerate([
                ("专业课", "面授", "16.0"), ("专业课", "网络课程", "20.0"),
                ("职业道德", "面授", "4.0"), ("思政", "面授", "2.0")]):
            _credit(compliant, key, category, delivery, amount)
        db.session.add(CpeExemption(person_id=exempt, year=2026, condition="境外工作满6个月",
                                    source_kind="manual", source_id="remind-exempt",
                                    created_at=NOW))
        # last year's hours do not make anyone compliant this year
        _credit(no_account, 9, "专业课", "面授", "60.0", year=2025)
        db.session.query(Account).filter_by(person_id=world.a_people[0]).one().notify_email = EMAIL
        db.session.commit()
        ids = {p.name: p.id for p in db.session.query(Person)}
    return world, ids


def _messages(app):
    """{login: [title, …]} of every system message."""
    with app.app_context():
        rows = db.session.query(User.username, Message.title, Message.body).join(
            Message, Message.user_id == User.id).order_by(Message.id).all()
    found = {}
    for login, title, body in rows:
        found.setdefault(login, []).append((title, body))
    return found


def _mails(app):
    with app.app_context():
        rows = db.session.query(OutboxMail).order_by(OutboxMail.id)
        return [(m.to_addr, m.subject) for m in rows]


def test_nothing_before_october(app, people):
    with app.app_context():
        for moment in (beijing(2026, 1, 1), beijing(2026, 9, 30, 23)):
            assert cpe_monthly_reminder(moment) == {"persons": 0, "firm_admins": 0}
    assert _messages(app) == {} and _mails(app) == []


def test_from_october_once_a_month_to_each_person_behind_and_each_firm_admin(app, people):
    world, ids = people
    with app.app_context():
        # 1 October 00:30 in Beijing is still 30 September in UTC: Beijing's date counts
        assert cpe_monthly_reminder(beijing(2026, 10, 1, 0)) == {"persons": 2, "firm_admins": 2}
    sent = _messages(app)
    assert set(sent) == {world.member, "110100020001", world.a.admin, world.b.admin}
    (title, body), = sent[world.member]
    assert title == "【继续教育提醒】您2026年继续教育学时尚未达标"
    assert body.startswith("您2026年继续教育未通过，已获8.0学时，其中面授课程8.0学时，"
                           "职业道德0学时，思政课程0学时。")
    assert "2026年12月31日前" in body
    (title, body), = sent[world.a.admin]
    # 张一 and 钱无账号 (no account, still counted); not 王达标, 赵豁免, 孙撤销 or the 其他从业人员
    assert title == "【继续教育提醒】本所2026年有2人学时尚未达标"
    assert "共2人（注册会计师2人）" in body
    (title, _body), = sent[world.b.admin]
    assert title == "【继续教育提醒】本所2026年有1人学时尚未达标"
    assert _mails(app) == [(EMAIL, "【继续教育提醒】您2026年继续教育学时尚未达标")]

    with app.app_context():  # the daily runs later in October send nothing new
        for day in (1, 2, 31):
            assert cpe_monthly_reminder(beijing(2026, 10, day, 15)) == {"persons": 0,
                                                                        "firm_admins": 0}
    assert _messages(app) == sent and len(_mails(app)) == 1

    with app.app_context():  # November: again, once
        assert cpe_monthly_reminder(beijing(2026, 11, 1)) == {"persons": 2, "firm_admins": 2}
        assert cpe_monthly_reminder(beijing(2026, 11, 2)) == {"persons": 0, "firm_admins": 0}
    again = _messages(app)
    assert {login: len(rows) for login, rows in again.items()} == {
        world.member: 2, "110100020001": 2, world.a.admin: 2, world.b.admin: 2}
    assert len(_mails(app)) == 2
    for never in ("110100010021", "110100010022", "110100010024"):
        assert never not in again


def test_a_person_who_catches_up_is_not_reminded_the_next_month(app, people):
    world, _ids = people
    with app.app_context():
        cpe_monthly_reminder(beijing(2026, 10, 1))
        for key, (category, delivery, amount) in enumerate([
                ("专业课", "面授", "16.0"), ("专业课", "网络课程", "20.0"),
                ("职业道德", "面授", "4.0"), ("思政", "面授", "2.0")]):
            _credit(world.a_people[0], f"late{key}", category, delivery, amount)
        assert cpe_monthly_reminder(beijing(2026, 11, 1)) == {"persons": 1, "firm_admins": 2}
    sent = _messages(app)
    assert len(sent[world.member]) == 1 and len(sent["110100020001"]) == 2
    assert sent[world.a.admin][-1][0] == "【继续教育提醒】本所2026年有1人学时尚未达标"


def test_the_job_is_registered_and_runs_from_the_command_line(app, people):
    world, _ids = people
    from app.workflows.core import jobs

    registered = jobs.JOBS["cpe_monthly_reminder"]
    assert registered.schedule.startswith("daily:") and "10月1日" in registered.description
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "cpe_monthly_reminder", "--today", "2026-09-30"])
    assert result.exit_code == 0, result.output
    assert _messages(app) == {}
    result = runner.invoke(args=["jobs", "run", "cpe_monthly_reminder", "--today", "2026-10-01"])
    assert result.exit_code == 0 and '"persons": 2' in result.output, result.output
    result = runner.invoke(args=["jobs", "run", "cpe_monthly_reminder", "--today", "2026-10-01"])
    assert result.exit_code == 0 and '"persons": 0' in result.output, result.output
    assert len(_messages(app)[world.member]) == 1
