"""Home pages' workflows (app/workflows/home), without HTTP: deadlines first, what a member
lacks in words, each figure scoped to the actor."""
import datetime as dt

from app import clock
from app.extensions import db
from flask_appbuilder.security.sqla.models import User
from app.models.hours import Category, Delivery
from app.models.inhouse import ReviewStatus
from app.models import Person, PersonType
from app.workflows.home import cpe
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
    # the box's lines, the chart's bars and the words are one list (学员年度学时's measures):
    # 有效学时 after the online cap, and what is 还差 of each
    lines = {m.label: (m.done, m.required, m.missing) for m in home.hours.measures}
    assert lines == {"有效学时": (46, 40, 0), "面授": (8, 16, 8), "职业道德": (2, 4, 2),
                     "思政": (0, 0, 0)}
    assert chart.categories == list(lines)
    assert dict(zip(chart.categories, chart.series[2][1])) == {
        "有效学时": 0, "面授": 8, "职业道德": 2, "思政": 0}
    assert [name for name, _values in chart.series] == ["已完成", "要求", "还差"]


def test_a_non_practising_member_reads_its_input_hours_in_words_box_and_chart(ctx, world):
    """非执业会员: 投入式及课程 (min_input) is asked, 面授 and 职业道德 are not; whatever the words
    say is missing is a line of the box and a bar of the chart."""
    person = db.session.get(Person, world.a_people[1])
    person.person_type = PersonType.NON_PRACTICING
    db.session.commit()
    _credit(person.id, 1, Category.PROFESSIONAL, Delivery.OUTPUT, "24")
    _credit(person.id, 2, Category.PROFESSIONAL, Delivery.INPUT, "10")

    hours = member_home.own_hours(person, TODAY.year)

    assert hours.missing == "还差有效学时 6 学时、投入式及课程 6 学时"
    lines = {m.label: (m.done, m.required, m.missing) for m in hours.measures}
    assert lines == {"有效学时": (34, 40, 6), "面授": (0, 0, 0), "投入式及课程": (10, 16, 6),
                     "职业道德": (0, 0, 0), "思政": (0, 0, 0)}
    chart = member_home.hours_chart(hours)
    assert chart.categories == list(lines)
    assert dict(zip(chart.categories, chart.series[2][1]))["投入式及课程"] == 6


def test_monthly_hours_take_the_month_in_beijing_time(ctx, world):
    """1 May 03:00 in Beijing is 30 April 19:00 UTC: May's, not April's; 30 April 23:30 in
    Beijing (15:30 UTC) stays April's; 1 January 00:30 (31 December UTC) is January's."""
    beijing = clock.LOCAL_TZ
    for n, (moment, hours) in enumerate((
            (dt.datetime(2026, 5, 1, 3, 0, tzinfo=beijing), "8"),
            (dt.datetime(2026, 4, 30, 23, 30, tzinfo=beijing), "2"),
            (dt.datetime(2026, 1, 1, 0, 30, tzinfo=beijing), "4"),
            (dt.datetime(2026, 11, 1, 7, 59, tzinfo=beijing), "1"))):
        ledger.credit(None, NOW, source_kind="import", source_id=f"month-{n}",
                      person_id=world.a_people[0], year=2026, title=f"课程{n}",
                      category=Category.PROFESSIONAL, delivery=Delivery.FACE_TO_FACE,
                      hours=hours, obtained_at=moment)
    db.session.commit()

    chart = cpe.monthly_hours(2026)

    per_month = dict(zip(chart.categories, chart.series[0][1]))
    assert (per_month["1月"], per_month["4月"], per_month["5月"], per_month["10月"],
            per_month["11月"], per_month["12月"]) == (4, 2, 8, 0, 1, 0)
    assert chart.series[1][1][-1] == 15  # the running total


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


def test_one_grouped_statement_counts_as_the_overview_and_the_gaps_do(ctx, world, app):
    """`cpe.figures` (one scan for the home pages) against 事务所培训概况's own query and the
    people-at-risk query, person by person: a revoked person counts in the pass rate but is
    not at risk; a person without a firm is at risk but in no firm's row; hours of everyone
    in scope count by category."""
    from sqlalchemy import select

    from app.models import PersonStatus
    from app.workflows.hours import queries
    from app.workflows.hours.rules import year_gap_select
    from tests.helpers import make_person

    revoked = make_person(app, world.a.id, "张四", person_type=PersonType.CPA,
                          cert_number="110100010004", status=PersonStatus.REVOKED)
    loose = make_person(app, None, "无所", person_type=PersonType.CPA,
                       cert_number="110100000009")
    _credit(world.a_people[0], 1, Category.PROFESSIONAL, Delivery.FACE_TO_FACE, "30")
    _credit(world.a_people[0], 2, Category.ETHICS, Delivery.FACE_TO_FACE, "4")
    _credit(world.a_people[1], 3, Category.SIZHENG, Delivery.FACE_TO_FACE, "2")
    _credit(revoked, 4, Category.PROFESSIONAL, Delivery.FACE_TO_FACE, "3")
    _credit(loose, 5, Category.ETHICS, Delivery.FACE_TO_FACE, "1")
    db.session.commit()
    year = TODAY.year
    for login in (world.staff, world.a.admin, world.b.admin):
        actor = _user(login)
        found = cpe.figures(actor, year)
        overview = db.session.execute(queries.overview(db.session, actor, year)).all()
        assert [(r.person_type, r.people, r.required) for r in found.rates] == \
            [(r.person_type, r.people, r.required) for r in overview]
        assert [r.passed for r in found.rates] == [
            max(r.passed - (r.people - r.required), 0) for r in overview]
        gaps = year_gap_select(db.session, year).add_columns(Person.firm_id).where(
            queries._people(actor, None), Person.status == PersonStatus.ACTIVE).subquery()
        short = [(r.person_id, r.firm_id) for r in db.session.execute(
            select(gaps).where(gaps.c.required.is_(True), gaps.c.passed.is_(False)))]
        assert found.short_total == len(short) == len(cpe.at_risk(actor, year, limit=100))
        assert {f: s for f, (s, _asked) in found.firms_short.items() if s} == {
            f: sum(1 for _p, g in short if g == f) for f in {g for _p, g in short if g}}
        assert revoked not in [p for p, _f in short]
    staff = cpe.figures(_user(world.staff), year)
    assert loose in [p.person_id for p in cpe.at_risk(_user(world.staff), year)]
    assert None not in staff.firms_short
    assert staff.categories == {"专业课": 33, "职业道德": 5, "思政": 2}
    assert cpe.figures(_user(world.b.admin), year).categories == {
        "专业课": 0, "职业道德": 0, "思政": 0}
