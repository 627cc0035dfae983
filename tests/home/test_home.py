"""Home pages' workflows (app/workflows/home), without HTTP: deadlines first, what a member
lacks in words, each figure scoped to the actor."""
import datetime as dt

from app import clock
from app.extensions import db
from flask_appbuilder.security.sqla.models import User
from app.models.hours import Category, Delivery
from app.models.inhouse import ReviewStatus
from app.workflows.home import firm as firm_home
from app.workflows.home import member as member_home
from app.workflows.home import pages
from app.workflows.home import staff as staff_home
from app.workflows.hours import ledger
from tests.helpers import NOW
from tests.inhouse.world import a_class

TODAY = clock.local_today(NOW)


def _user(login):
    return db.session.query(User).filter_by(username=login).one()


def _credit(person_id, n, category, delivery, hours):
    ledger.credit(None, NOW, source_kind="import", source_id=f"home{person_id}-{n}",
                  person_id=person_id, year=TODAY.year, title=f"课程{n}", category=category,
                  delivery=delivery, hours=hours, obtained_at=TODAY - dt.timedelta(days=n))


def test_a_firm_sees_the_deadline_of_tomorrow_first(ctx, world):
    # a roster window that closes tomorrow (ended 14 days ago), one that closes in 14 days,
    # a class sent back that must be reported again 7 days before it starts (in 23 days)
    later = a_class(world.a.id, NOW, name="后截止的班", start=TODAY - dt.timedelta(days=3),
                    days=3, status=ReviewStatus.APPROVED)
    soon = a_class(world.a.id, NOW, name="明天截止的班", start=TODAY - dt.timedelta(days=20),
                   days=7, status=ReviewStatus.APPROVED)
    a_class(world.a.id, NOW, name="退回的班", start=TODAY + dt.timedelta(days=30),
            status=ReviewStatus.REJECTED)
    a_class(world.b.id, NOW, name="乙所的班", start=TODAY - dt.timedelta(days=20), days=7,
            status=ReviewStatus.APPROVED)

    todos = firm_home.todos(_user(world.a.admin), NOW)

    assert todos[0].due == TODAY + dt.timedelta(days=1)
    assert todos[0].link == f"/inhouse/classes/{soon}/roster" and "明天截止的班" in todos[0].title
    assert [t.due for t in todos] == sorted(t.due for t in todos if t.due) + \
        [None] * sum(1 for t in todos if t.due is None)
    titles = " ".join(t.title for t in todos)
    assert f"/inhouse/classes/{later}/roster" in [t.link for t in todos]
    assert "退回的班" in titles and "乙所的班" not in titles
    reported = next(t for t in todos if "退回的班" in t.title)
    assert reported.due == TODAY + dt.timedelta(days=23)
    # firm B reads its own class only
    assert [t.title for t in firm_home.todos(_user(world.b.admin), NOW)] == ["乙所的班（已上报 0 人）"]


def test_a_member_short_of_face_to_face_hours_reads_how_many(ctx, world):
    person = world.a_people[0]  # 张一, 注册会计师, the member's own person
    _credit(person, 1, Category.PROFESSIONAL, Delivery.ONLINE, "24")
    _credit(person, 2, Category.PROFESSIONAL, Delivery.INPUT, "12")
    _credit(person, 3, Category.ETHICS, Delivery.INPUT, "2")
    _credit(person, 4, Category.PROFESSIONAL, Delivery.FACE_TO_FACE, "8")

    home = member_home.member_home(_user(world.member), NOW)

    assert home.hours.missing == "还差面授 8 学时、职业道德 2 学时"
    assert home.hours.verdict == "未达标"
    chart = home.charts[0]
    assert dict(zip(chart.categories, chart.series[0][1]))["面授"] == 8
    assert dict(zip(chart.categories, chart.series[1][1]))["面授"] == 16


def test_the_firm_sees_its_people_at_risk_by_gap_and_no_one_elses(ctx, world):
    cpa = world.a_people[0]
    _credit(cpa, 1, Category.PROFESSIONAL, Delivery.FACE_TO_FACE, "30")
    _credit(world.b_people[0], 1, Category.PROFESSIONAL, Delivery.FACE_TO_FACE, "1")

    home = firm_home.firm_home(_user(world.a.admin), NOW)

    assert [(p.person_id, p.gap, p.missing) for p in home.at_risk] == [
        (cpa, 10, "还差有效学时 10 学时、职业道德 4 学时")]
    assert home.at_risk[0].link == f"/hours/person/{cpa}/{TODAY.year}"
    assert home.at_risk_total == 1
    rates = {r.person_type: r for r in home.rates}
    assert rates["注册会计师"].required == 1 and rates["注册会计师"].passed == 0
    categories = dict(zip(home.charts[1].categories, home.charts[1].series[0][1]))
    assert categories["专业课"] == 30  # firm B's hour is not counted


def test_staff_read_every_queue_and_the_firms_most_at_risk(ctx, world):
    a_class(world.a.id, NOW, name="待审核的班", start=TODAY + dt.timedelta(days=30))
    home = staff_home.staff_home(_user(world.staff), NOW)
    queue = next(q for q in home.queues if q.label == "内部培训班")
    assert queue.count == 1 and queue.oldest == TODAY
    assert {f.code for f in home.firms} == {world.a.code, world.b.code}  # each has a CPA short
    assert [c.key for c in home.charts] == ["slots", "fill", "months", "pass"]


def test_each_role_has_its_page(ctx, world):
    assert pages.home_kind(_user(world.admin)) == "admin"
    assert pages.home_kind(_user(world.staff)) == "staff"
    assert pages.home_kind(_user(world.a.admin)) == "firm"
    assert pages.home_kind(_user(world.member)) == "member"
    kind, home = pages.home_for(_user(world.admin), NOW)
    assert kind == "admin" and home.jobs_total >= 1
