"""The CPE figures of the home pages, each one SQL aggregate over the actor's people:
the same verdict as 学员年度学时 (`year_gap_select`) and 事务所培训概况 (`queries.overview`)."""
import dataclasses
from decimal import Decimal

from sqlalchemy import Integer, case, func, select

from app.extensions import db
from app.models import Firm, Person
from app.models.hours import Category, HourMonthTotal, HourYearTotal
from app.models.registry import PersonStatus
from app.workflows.core.scoping import scope_condition
from app.workflows.core.sql import inline
from app.workflows.hours import queries
from app.workflows.hours.rules import missing_words, year_gap_select
from app.workflows.home.common import Chart, percent

TENTH = Decimal("0.1")


@dataclasses.dataclass
class TypeRate:
    person_type: str
    people: int
    required: int
    passed: int
    rate: float | None  # passed / people the year asks something of, in %


@dataclasses.dataclass
class AtRisk:
    person_id: int
    name: str
    person_type: str
    cert_number: str | None
    counted: Decimal
    gap: Decimal
    missing: str  # 「还差面授 8 学时、职业道德 2 学时」
    link: str


def pass_rates(actor, year: int) -> list[TypeRate]:
    """Per person type, from 事务所培训概况's own query (the actor's scope). Its `passed`
    counts the people the year asks nothing of (they pass by default); a rate is over the
    people it asks something of."""
    rates = []
    for r in db.session.execute(queries.overview(db.session, actor, year)).all():
        required = r.required or 0
        passed = max((r.passed or 0) - ((r.people or 0) - required), 0)
        rates.append(TypeRate(r.person_type, r.people or 0, required, passed,
                              percent(passed, required)))
    return rates


def pass_chart(rates: list[TypeRate]) -> Chart:
    asked = [r for r in rates if r.required]  # a type the year asks nothing of has no rate
    return Chart("pass", "各类人员学时达标率", "bar", [r.person_type for r in asked],
                 [("达标率（%）", [r.rate for r in asked])], unit="%")


def hours_by_category(actor, year: int) -> Chart:
    """The year's hours of the actor's people by 分类, from the ledger's yearly sums."""
    t = HourYearTotal
    row = db.session.execute(
        select(func.coalesce(func.sum(t.total), 0), func.coalesce(func.sum(t.ethics), 0),
               func.coalesce(func.sum(t.sizheng), 0))
        .select_from(t).join(Person, Person.id == t.person_id)
        .where(t.year == inline(year), scope_condition(Person, actor))).one()
    total, ethics, sizheng = (Decimal(v) * TENTH for v in row)
    values = {Category.PROFESSIONAL: total - ethics - sizheng, Category.ETHICS: ethics,
              Category.SIZHENG: sizheng}
    return Chart("categories", "本年度学时（按分类）", "pie", list(Category.ALL),
                 [("学时", [values[c] for c in Category.ALL])], unit="学时")


def _gaps(actor, year: int, *where):
    rows = year_gap_select(db.session, year).add_columns(
        Person.name.label("name"), Person.person_type.label("person_type"),
        Person.cert_number.label("cert_number"), Person.firm_id.label("firm_id")).where(
        scope_condition(Person, actor), Person.status == PersonStatus.ACTIVE, *where)
    rows = rows.subquery("gaps")
    return rows, rows.c.required.is_(True) & rows.c.passed.is_(False)


def at_risk(actor, year: int, limit: int = 30) -> tuple[list[AtRisk], int]:
    """(the people short of the year's requirement, largest gap first; how many in all)."""
    rows, short = _gaps(actor, year)
    order = (rows.c.gap.desc(), rows.c.name, rows.c.person_id)
    # the people chosen first by their kept gap alone, then only their rows built whole
    chosen = select(rows.c.person_id).where(short).order_by(*order).limit(inline(int(limit)))
    found = db.session.execute(select(rows).where(rows.c.person_id.in_(
        chosen.scalar_subquery())).order_by(*order)).all()
    total = db.session.scalar(select(func.count()).select_from(rows).where(short))
    return [AtRisk(r.person_id, r.name, r.person_type, r.cert_number, r.counted, r.gap,
                   missing_words(r), f"/hours/person/{r.person_id}/{year}")
            for r in found], total or 0


def firms_at_risk(actor, year: int, limit: int = 10) -> list[tuple]:
    """(firm id, code, name, people short, people asked) — the firms with the most people
    short of the year's requirement."""
    rows, short = _gaps(actor, year, Person.firm_id.is_not(None))
    counted = (select(rows.c.firm_id,
                      func.sum(case((short, 1), else_=0)).cast(Integer).label("short"),
                      func.sum(case((rows.c.required, 1), else_=0)).cast(Integer).label("asked"))
               .group_by(rows.c.firm_id).subquery("per_firm"))
    return db.session.execute(
        select(counted.c.firm_id, Firm.code, Firm.name, counted.c.short, counted.c.asked)
        .join(Firm, Firm.id == counted.c.firm_id).where(counted.c.short > 0)
        .order_by(counted.c.short.desc(), Firm.code).limit(limit)).all()


def monthly_hours(year: int) -> Chart:
    """Institute-wide hours credited per month of the year (obtained_at, by the month in
    Beijing time — a record of 1 May 03:00 is May's, not April's) and their running total:
    from the monthly sums the ledger keeps (HourMonthTotal, one row per person), not from
    the year's records (ledger.rebuild_months is the same figure computed from them)."""
    t = HourMonthTotal
    row = db.session.execute(
        select(*[func.coalesce(func.sum(t.__table__.c[c]), 0) for c in t.MONTHS])
        .where(t.year == inline(year))).one()
    per_month = {n: Decimal(v) * TENTH for n, v in enumerate(row, start=1)}
    values, running, cumulative = [], Decimal(0), []
    for m in range(1, 13):
        values.append(per_month.get(m, Decimal(0)))
        running += per_month.get(m, Decimal(0))
        cumulative.append(running)
    return Chart("months", f"{year}年全市学时进度（按月）", "line",
                 [f"{m}月" for m in range(1, 13)],
                 [("当月计入学时", values), ("累计学时", cumulative)], unit="学时")
