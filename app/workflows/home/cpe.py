"""The CPE figures of the home pages: one grouped statement over the actor's people for
the counts and sums (`figures`), one for the people at risk by gap — the same kept verdict
as 学员年度学时 (`year_gap_select`) and 事务所培训概况 (`queries.overview`)."""
import dataclasses
from decimal import Decimal

from sqlalchemy import Integer, case, func, select

from app.extensions import db
from app.models import Firm, Person
from app.models.hours import Category, HourMonthTotal, HourYearTotal
from app.models.registry import PersonStatus, PersonType
from app.workflows.core.scoping import scope_condition
from app.workflows.core.sql import inline
from app.workflows.hours.rules import missing_words, year_flags, year_gap_select
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


@dataclasses.dataclass
class Figures:
    """The year's CPE figures of the actor's people, from one grouped statement (`figures`)."""
    rates: list          # TypeRate per person type, in the manuals' order
    firms_short: dict    # firm id → (active people short, active people asked)
    short_total: int     # active people short of the requirement
    categories: dict     # 分类 → hours


def figures(actor, year: int) -> Figures:
    """Per firm, person type and whether active, one row of counts — people, asked
    (required), passed, short (asked and not passed) — and of the year's sums: one scan of
    the actor's people beside their kept yearly row, the same kept verdict (`year_flags`) as
    事务所培训概况's `queries.overview` and 学员年度学时, instead of one scan per figure.

    The pass rate counts every person in scope (as 事务所培训概况); the people at risk are
    the active ones (as `at_risk`); the hours by category count everyone in scope."""
    t = HourYearTotal.__table__
    rows = year_flags(db.session, year).add_columns(
        Person.firm_id.label("firm_id"), Person.person_type.label("person_type"),
        (Person.status == PersonStatus.ACTIVE).label("active"),
        t.c.total.label("total"), t.c.ethics.label("ethics"), t.c.sizheng.label("sizheng"),
    ).where(scope_condition(Person, actor)).subquery("people")
    count = lambda condition: func.sum(case((condition, 1), else_=0)).cast(Integer)  # noqa: E731
    total = lambda column: func.coalesce(func.sum(column), 0)  # noqa: E731
    found = db.session.execute(
        select(rows.c.firm_id, rows.c.person_type, rows.c.active, func.count(),
               count(rows.c.required), count(rows.c.passed),
               count(rows.c.required & ~rows.c.passed),
               total(rows.c.total), total(rows.c.ethics), total(rows.c.sizheng))
        .group_by(rows.c.firm_id, rows.c.person_type, rows.c.active)).all()
    per_type, firms, short_total, sums = {}, {}, 0, [0, 0, 0]
    for firm_id, person_type, active, people, required, passed, short, *hours in found:
        each = per_type.setdefault(person_type, [0, 0, 0])
        each[0] += people
        each[1] += required
        each[2] += passed
        sums = [a + int(b) for a, b in zip(sums, hours)]
        if active:
            short_total += short
            if firm_id is not None:
                was = firms.get(firm_id, (0, 0))
                firms[firm_id] = (was[0] + short, was[1] + required)
    rates = []
    for person_type in sorted(per_type, key=_type_rank):
        people, required, passed = per_type[person_type]
        # `passed` counts the people the year asks nothing of (they pass by default);
        # a rate is over the people it asks something of
        passed = max(passed - (people - required), 0)
        rates.append(TypeRate(person_type, people, required, passed, percent(passed, required)))
    all_hours, ethics, sizheng = (Decimal(v) * TENTH for v in sums)
    categories = {Category.PROFESSIONAL: all_hours - ethics - sizheng, Category.ETHICS: ethics,
                  Category.SIZHENG: sizheng}
    return Figures(rates, firms, short_total, categories)


def _type_rank(person_type: str) -> int:
    """注册会计师, 非执业会员, 其他从业人员 — the manuals' order (as 事务所培训概况)."""
    order = list(PersonType.ALL)
    return order.index(person_type) if person_type in order else len(order)


def pass_chart(rates: list[TypeRate]) -> Chart:
    asked = [r for r in rates if r.required]  # a type the year asks nothing of has no rate
    return Chart("pass", "各类人员学时达标率", "bar", [r.person_type for r in asked],
                 [("达标率（%）", [r.rate for r in asked])], unit="%")


def category_chart(found: Figures) -> Chart:
    """The year's hours of the actor's people by 分类, from the ledger's yearly sums."""
    return Chart("categories", "本年度学时（按分类）", "pie", list(Category.ALL),
                 [("学时", [found.categories[c] for c in Category.ALL])], unit="学时")


def at_risk(actor, year: int, limit: int = 30) -> list[AtRisk]:
    """The people short of the year's requirement, largest gap first (how many in all:
    `Figures.short_total`)."""
    rows = year_gap_select(db.session, year).add_columns(
        Person.name.label("name"), Person.person_type.label("person_type"),
        Person.cert_number.label("cert_number")).where(
        scope_condition(Person, actor), Person.status == PersonStatus.ACTIVE).subquery("gaps")
    short = rows.c.required.is_(True) & rows.c.passed.is_(False)
    order = (rows.c.gap.desc(), rows.c.name, rows.c.person_id)
    # the people chosen first by their kept gap alone, then only their rows built whole
    chosen = select(rows.c.person_id).where(short).order_by(*order).limit(inline(int(limit)))
    found = db.session.execute(select(rows).where(rows.c.person_id.in_(
        chosen.scalar_subquery())).order_by(*order)).all()
    return [AtRisk(r.person_id, r.name, r.person_type, r.cert_number, r.counted, r.gap,
                   missing_words(r), f"/hours/person/{r.person_id}/{year}") for r in found]


@dataclasses.dataclass
class FirmAtRisk:
    firm_id: int
    code: str
    name: str
    short: int  # active people short of the year's requirement
    asked: int  # active people the year asks something of


def firms_at_risk(found: Figures, limit: int = 10) -> list[FirmAtRisk]:
    """The firms with the most active people short of the year's requirement (ties by
    firm code)."""
    ids = [i for i, (short, _asked) in found.firms_short.items() if short > 0]
    if not ids:
        return []
    firms = db.session.execute(select(Firm.id, Firm.code, Firm.name).where(Firm.id.in_(ids)))
    return sorted((FirmAtRisk(f.id, f.code, f.name, *found.firms_short[f.id]) for f in firms),
                  key=lambda r: (-r.short, r.code))[:limit]


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
