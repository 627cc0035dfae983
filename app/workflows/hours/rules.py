"""The yearly continuing-education verdict (DESIGN §3a, seed 000 §4.2).

One rule set, two forms that must agree (tests/hours/test_rules.py compares them):
- `person_year(session, person, year)`: one person, in Python, with reasons and the sentence;
- `year_select(session, year)` / `firm_summary(session, year)`: the same numbers as SQL
  aggregates over persons (no Python loop over people), to page, order and export, read
  from the yearly sums the ledger keeps (HourYearTotal).

Counting: 有效学时 (counted) = hours not 网络课程/产出式 + min(网络课程, cap_online)
+ min(产出式, cap_output). 面授 = 面授, 执业机构内培, 授课, 面授(视同). 投入式及课程 (min_input,
非执业会员) = everything except 产出式. Ethics and 思政 are by category, uncapped.
Exemptions (confirmed CpeExemption): 注册会计师 → no requirement that year (passed);
非执业会员 → every minimum halved. A year without a CpeRequirement row uses DEFAULTS; 其他从业人员
has no requirement by default (all minima 0).
"""
import functools
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, false, func, select, true, union_all
from sqlalchemy.types import Boolean, Numeric

from app.models.hours import (Category, CpeExemption, CpeRequirement, Delivery, HourRecord,
                              HourYearTotal)
from app.models.registry import Person, PersonType
from app.workflows.core.sql import inline

ZERO = Decimal("0.0")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Requirement:
    min_total: Decimal = Decimal(40)
    min_face_to_face: Decimal = Decimal(16)
    min_input: Decimal = Decimal(0)
    min_ethics: Decimal = Decimal(4)
    min_sizheng: Decimal = Decimal(0)
    cap_online: Decimal = Decimal(24)
    cap_output: Decimal = Decimal(24)

    def halved(self) -> "Requirement":
        half = lambda v: (v / 2).quantize(TENTH, ROUND_HALF_UP)  # noqa: E731
        return replace(self, min_total=half(self.min_total),
                       min_face_to_face=half(self.min_face_to_face),
                       min_input=half(self.min_input), min_ethics=half(self.min_ethics),
                       min_sizheng=half(self.min_sizheng))

    def none(self) -> "Requirement":
        return replace(self, min_total=ZERO, min_face_to_face=ZERO, min_input=ZERO,
                       min_ethics=ZERO, min_sizheng=ZERO)


DEFAULTS = {
    PersonType.CPA: Requirement(),
    PersonType.NON_PRACTICING: Requirement(min_face_to_face=Decimal(0), min_input=Decimal(16),
                                           min_ethics=Decimal(0)),
    PersonType.OTHER: Requirement().none(),
}
MINIMA = ("min_total", "min_face_to_face", "min_input", "min_ethics", "min_sizheng")
FIELDS = ("min_total", "min_face_to_face", "min_input", "min_ethics", "min_sizheng",
          "cap_online", "cap_output")


def requirement_for(session, year: int, person_type: str) -> Requirement:
    row = session.execute(select(CpeRequirement).filter_by(
        year=year, person_type=person_type)).scalar_one_or_none()
    if row is None:
        return DEFAULTS.get(person_type, DEFAULTS[PersonType.OTHER])
    return Requirement(**{f: Decimal(getattr(row, f)) for f in FIELDS})


def effective_requirement(requirement: Requirement, person_type: str, exempt: bool):
    if not exempt:
        return requirement
    return requirement.halved() if person_type == PersonType.NON_PRACTICING else requirement.none()


def fmt(value: Decimal) -> str:
    """Hours as the manual prints them: 0 → 「0」, otherwise one decimal (4.0, 46.5)."""
    value = Decimal(value).quantize(TENTH, ROUND_HALF_UP)
    return "0" if value == 0 else f"{value:.1f}"


def number(value) -> Decimal:
    """Hours as a workbook cell: a number with the places `fmt` shows (0, 4.0, 46.5) — the
    one writer (app/workflows/core/sheets.py) shows a Decimal with its own places."""
    value = Decimal(str(value or 0)).quantize(TENTH, ROUND_HALF_UP)
    return Decimal(0) if value == 0 else value


def fmt_min(value: Decimal) -> str:
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral_value() else f"{value:.1f}"


@dataclass
class YearResult:
    year: int
    obtained: Decimal = ZERO
    counted: Decimal = ZERO
    face_to_face: Decimal = ZERO
    ethics: Decimal = ZERO
    sizheng: Decimal = ZERO
    input_hours: Decimal = ZERO
    exempt: bool = False
    required: bool = True
    passed: bool = False
    reasons: list[str] = field(default_factory=list)
    # the same records by 分类 and by 学时类型: the certificate's table reads these, so its
    # 面授 line and the sentence's 面授课程 are one sum (FACE_TO_FACE_KINDS, DESIGN §3a)
    by_category: dict = field(default_factory=dict)
    by_delivery: dict = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        verdict = "已通过" if self.passed else "未通过"
        return (f"您{self.year}年继续教育{verdict}，已获{fmt(self.obtained)}学时，"
                f"其中面授课程{fmt(self.face_to_face)}学时，职业道德{fmt(self.ethics)}学时，"
                f"思政课程{fmt(self.sizheng)}学时。")

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items()
                if k not in ("input_hours", "by_category", "by_delivery")}
        for k in ("obtained", "counted", "face_to_face", "ethics", "sizheng"):
            data[k] = float(Decimal(data[k]).quantize(TENTH))
        data["sentence"] = self.sentence
        return data


def compute(year: int, records, requirement: Requirement) -> YearResult:
    """`records`: (category, delivery, hours) triples; `requirement` already effective."""
    total = online = output = f2f = ethics = sizheng = ZERO
    by_category = {c: ZERO for c in Category.ALL}
    by_delivery = {d: ZERO for d in Delivery.ALL}
    for category, delivery, hours in records:
        hours = Decimal(hours)
        total += hours
        by_category[category] = by_category.get(category, ZERO) + hours
        by_delivery[delivery] = by_delivery.get(delivery, ZERO) + hours
        if delivery == Delivery.ONLINE:
            online += hours
        elif delivery == Delivery.OUTPUT:
            output += hours
        if delivery in Delivery.FACE_TO_FACE_KINDS:
            f2f += hours
        if category == Category.ETHICS:
            ethics += hours
        elif category == Category.SIZHENG:
            sizheng += hours
    counted = total - online - output + min(online, requirement.cap_online) \
        + min(output, requirement.cap_output)
    result = YearResult(year=year, obtained=total, counted=counted, face_to_face=f2f,
                        ethics=ethics, sizheng=sizheng, input_hours=total - output,
                        by_category=by_category, by_delivery=by_delivery)
    r = requirement
    checks = ((counted, r.min_total, "有效学时"), (f2f, r.min_face_to_face, "面授学时"),
              (total - output, r.min_input, "投入式及课程学时"), (ethics, r.min_ethics, "职业道德学时"),
              (sizheng, r.min_sizheng, "思政学时"))
    result.reasons = [f"{name}不足{fmt_min(minimum)}学时"
                      for value, minimum, name in checks if value < minimum]
    result.required = any(getattr(r, name) > 0 for name in MINIMA)
    result.passed = not result.reasons
    return result


def person_year(session, person: Person, year: int) -> YearResult:
    records = session.execute(select(HourRecord.category, HourRecord.delivery, HourRecord.hours)
                              .where(HourRecord.person_id == person.id, HourRecord.year == year)).all()
    exempt = session.execute(select(exists().where(
        CpeExemption.person_id == person.id, CpeExemption.year == year))).scalar()
    requirement = effective_requirement(requirement_for(session, year, person.person_type),
                                        person.person_type, exempt)
    result = compute(year, records, requirement)
    result.exempt = bool(exempt)
    return result


def years_with_hours(session, person: Person) -> list[int]:
    """Years in which the person has hour records, newest first."""
    return list(session.scalars(select(HourRecord.year).where(HourRecord.person_id == person.id)
                                .group_by(HourRecord.year).order_by(HourRecord.year.desc())))


def year_results(session, person: Person) -> list[YearResult]:
    """The verdict of every year the person has hours in, newest first (学时查询, 学时证明)."""
    return [person_year(session, person, year) for year in years_with_hours(session, person)]


# ---- the same as SQL -------------------------------------------------------------------

HOURS_T = Numeric(8, 1)


def _tenths(value: Decimal) -> int:
    return int((Decimal(value) * 10).to_integral_value())


def requirements_of_year(session, year: int) -> tuple:
    """((person type, Requirement), …) for every type, in one query (defaults where unset).
    Reads the table's rows, not entities: it also runs inside a flush (verdicts.py)."""
    table = CpeRequirement.__table__
    stored = {row.person_type: Requirement(**{f: Decimal(row._mapping[f]) for f in FIELDS})
              for row in session.execute(select(table).where(table.c.year == year))}
    return tuple((t, stored.get(t) or DEFAULTS.get(t, DEFAULTS[PersonType.OTHER]))
                 for t in PersonType.ALL)


def requirement_rows(requirements: tuple):
    """The year's effective requirement of every (person type, exempted?) pair — six rows
    of literals, in tenths of an hour like the sums — as a subquery to join, so that each
    person's row compares integers with integers instead of walking a CASE per threshold."""
    rows = []
    for person_type, base in requirements:
        for exempted in (0, 1):
            r = effective_requirement(base, person_type, bool(exempted))
            values = [inline(person_type).label("person_type"),
                      inline(exempted).label("exempt")]
            values += [inline(_tenths(getattr(r, name))).label(name) for name in FIELDS]
            values.append(inline(1 if any(getattr(r, n) > 0 for n in MINIMA) else 0)
                          .label("required"))
            rows.append(select(*values))
    return union_all(*rows).subquery("requirement")


def _least(a, b):
    return case((a > b, b), else_=a)


def _hours(tenths):
    """Tenths of an hour (integer) → hours, one decimal, on every database."""
    return func.round(tenths * inline(Decimal("0.1"), Numeric(2, 1)), inline(1)).cast(HOURS_T)


# what a person still lacks, each measure with the words a member reads (「还差面授 8 学时」)
GAPS = (("missing_counted", "有效学时"), ("missing_face_to_face", "面授"),
        ("missing_input", "投入式及课程"), ("missing_ethics", "职业道德"),
        ("missing_sizheng", "思政"))
# the verdict kept beside each person's yearly sums (HourYearTotal), in tenths of an hour
KEPT = ("exempt", "required", "passed", "counted", "gap", *(key for key, _label in GAPS))


def _short(minimum, value):
    """Tenths still missing toward `minimum` (0 when met)."""
    return case((minimum > value, minimum - value), else_=inline(0))


def _greatest(*values):
    result = values[0]
    for value in values[1:]:
        result = case((value > result, value), else_=result)
    return result


def _verdict(r, total, online, output, f2f, ethics, sizheng) -> dict:
    """THE verdict as SQL: one person's yearly sums (tenths) against the requirement row `r`
    of `requirement_rows` — counted, passed, required, what each minimum still lacks and
    `gap`, the largest of them (the fewest hours that could still make the year: an hour
    may count toward several minima at once). The ledger keeps its values beside the sums
    (`verdict_select`, verdicts.py); the pages read them (`year_select`)."""
    counted = (total - online - output + _least(online, r.c.cap_online)
               + _least(output, r.c.cap_output))
    passed = and_(counted >= r.c.min_total, f2f >= r.c.min_face_to_face,
                  total - output >= r.c.min_input, ethics >= r.c.min_ethics,
                  sizheng >= r.c.min_sizheng)
    shorts = [_short(r.c.min_total, counted), _short(r.c.min_face_to_face, f2f),
              _short(r.c.min_input, total - output), _short(r.c.min_ethics, ethics),
              _short(r.c.min_sizheng, sizheng)]
    return {"counted": counted,
            "passed": case((passed, true()), else_=false()).cast(Boolean),
            # whether the year asks anything of this person (其他从业人员 by default, and an
            # exempted CPA, have nothing to pass)
            "required": case((r.c.required == inline(1), true()), else_=false()).cast(Boolean),
            "gap": _greatest(*shorts),
            **{key: short for short, (key, _label) in zip(shorts, GAPS)}}


@functools.lru_cache(maxsize=64)
def _verdict_select(year: int, requirements: tuple):
    t = HourYearTotal
    # an index probe per person (ix_cpe_exemption_year_person); a joined DISTINCT subquery
    # was scanned whole for every person by SQLite's planner (seconds at 60,000 persons)
    # every constant is written into the SQL (`inline`): a statement without parameters
    # keeps its plan once PostgreSQL has prepared it
    exempt_flag = case((exists().where(CpeExemption.year == inline(year),
                                       CpeExemption.person_id == Person.id), inline(1)),
                       else_=inline(0))
    r = requirement_rows(requirements)
    z = lambda col: func.coalesce(col, inline(0))  # noqa: E731
    verdict = _verdict(r, z(t.total), z(t.online), z(t.output), z(t.face_to_face),
                       z(t.ethics), z(t.sizheng))
    return (select(Person.id.label("person_id"),
                   case((r.c.exempt == inline(1), true()), else_=false()).cast(Boolean)
                   .label("exempt"),
                   *(verdict[key].label(key) for key in KEPT if key != "exempt"))
            .select_from(Person)
            .outerjoin(t, and_(t.person_id == Person.id, t.year == inline(year)))
            # an outer join keeps the planner from putting the six rows first (every person
            # matches exactly one of them)
            .outerjoin(r, and_(r.c.person_type == Person.person_type, r.c.exempt == exempt_flag)))


def verdict_select(session, year: int):
    """The verdict of `year` computed from scratch over every person (filter with .where on
    Person columns): person_id and KEPT, in tenths of an hour — from the sums, the
    requirement and the exemptions as they are now. verdicts.py writes it into
    HourYearTotal for the persons a change touched; tests compare the two."""
    return _verdict_select(year, requirements_of_year(session, year))


def year_select(session, year: int):
    """Per-person rows for `year` over every person (filter with .where on Person columns:
    Person.firm_id == …, Person.person_type == …): person_id, obtained, counted, face_to_face,
    ethics, sizheng, passed, required, exempt. Reads the sums and the verdict the ledger
    keeps (HourYearTotal: one row per person and year, in tenths of an hour), never the
    records nor the rules; a person without a row that year (no hours, no exemption) has
    the verdict of no hours for their type (`_verdict` over zero sums, as literals).
    No Python loop over people; order, page and export it freely. The statement is built
    once per year and set of requirements."""
    requirements = requirements_of_year(session, year)
    return _year_select(year, requirements, _no_hours(session, requirements))


def year_gap_select(session, year: int):
    """`year_select` with what each person still lacks: missing_counted, missing_face_to_face,
    missing_input, missing_ethics, missing_sizheng (hours, 0 when met), input_hours (投入式及课程,
    what missing_input is measured on) and `gap`, the largest of them. The same kept
    verdict, so a 「还差」 and a 未通过 never disagree; home pages order the people at risk
    by `gap`."""
    requirements = requirements_of_year(session, year)
    return _year_select(year, requirements, _no_hours(session, requirements), True)


def missing_words(row) -> str:
    """「还差面授 8 学时、职业道德 2 学时」 from a row of `year_gap_select` ('' when nothing)."""
    parts = [f"{label} {fmt_min(Decimal(getattr(row, key)))} 学时" for key, label in GAPS
             if Decimal(getattr(row, key) or 0) > 0]
    return "还差" + "、".join(parts) if parts else ""


_NO_HOURS: dict = {}


def _no_hours(session, requirements: tuple) -> tuple:
    """Per person type, the kept values (KEPT but `exempt`) of a person with no hours and no
    exemption — `_verdict` over zero sums, run once per set of requirements — what a person
    without a HourYearTotal row that year has. Literals: the pages' statements only read
    them where a row is missing, instead of judging a requirement row for every person."""
    found = _NO_HOURS.get(requirements)
    if found is None:
        r = requirement_rows(requirements)
        zero = inline(0)
        verdict = _verdict(r, zero, zero, zero, zero, zero, zero)
        rows = session.execute(select(r.c.person_type, *(verdict[key].label(key)
                                                         for key in KEPT[1:]))
                               .where(r.c.exempt == inline(0))).all()
        found = tuple((row[0], tuple(bool(v) if key in ("required", "passed") else int(v)
                                     for key, v in zip(KEPT[1:], row[1:]))) for row in rows)
        if len(_NO_HOURS) > 64:
            _NO_HOURS.clear()
        _NO_HOURS[requirements] = found
    return found


def _kept(no_hours: tuple, key: str):
    """The kept value, else (no row that year) the person type's value of no hours."""
    t = HourYearTotal.__table__
    at = KEPT[1:].index(key)
    literal = (lambda v: true() if v else false()) if key in ("required", "passed") else inline
    return func.coalesce(t.c[key], case(
        *((Person.person_type == inline(person_type), literal(values[at]))
          for person_type, values in no_hours)))


def year_flags(session, year: int):
    """For counting people (事务所培训概况, the home pages): per person, `studied` (any hours
    that year), `passed` and `required` — the kept values alone, no hours computed."""
    requirements = requirements_of_year(session, year)
    return _year_flags(year, requirements, _no_hours(session, requirements))


@functools.lru_cache(maxsize=64)
def _year_flags(year: int, requirements: tuple, no_hours: tuple):
    t = HourYearTotal.__table__
    return (select(Person.id.label("person_id"),
                   func.coalesce(t.c.total > inline(0), false()).label("studied"),
                   _kept(no_hours, "passed").label("passed"),
                   _kept(no_hours, "required").label("required"))
            .select_from(Person).outerjoin(t, and_(t.c.person_id == Person.id,
                                                    t.c.year == inline(year))))


@functools.lru_cache(maxsize=64)
def _year_select(year: int, requirements: tuple, no_hours: tuple, gaps: bool = False):
    t = HourYearTotal.__table__
    kept = functools.partial(_kept, no_hours)
    z = lambda col: func.coalesce(col, inline(0))  # noqa: E731
    gap_columns = ([_hours(kept(key)).label(key) for key, _label in GAPS]
                   + [_hours(kept("gap")).label("gap"),
                      _hours(z(t.c.total) - z(t.c.output)).label("input_hours")]) if gaps else []
    return (select(
        Person.id.label("person_id"),
        _hours(z(t.c.total)).label("obtained"),
        _hours(kept("counted")).label("counted"),
        _hours(z(t.c.face_to_face)).label("face_to_face"),
        _hours(z(t.c.ethics)).label("ethics"),
        _hours(z(t.c.sizheng)).label("sizheng"),
        kept("passed").cast(Boolean).label("passed"),
        kept("required").cast(Boolean).label("required"),
        func.coalesce(t.c.exempt, false()).cast(Boolean).label("exempt"),
        *gap_columns,
    ).select_from(Person).outerjoin(t, and_(t.c.person_id == Person.id,
                                            t.c.year == inline(year))))


def firm_summary(session, year: int, *where):
    """事务所培训概况: per firm and person type — people, people who studied (any hours that
    year), people who passed, people the year asks something of. `where`: conditions on
    Person (the actor's scope, a chosen firm) applied before grouping."""
    rows = year_flags(session, year).where(*where).add_columns(
        Person.firm_id.label("firm_id"), Person.person_type.label("person_type")).subquery("rows")
    return (select(rows.c.firm_id, rows.c.person_type,
                   func.count().label("people"),
                   func.sum(case((rows.c.studied, 1), else_=0)).label("studied"),
                   func.sum(case((rows.c.passed, 1), else_=0)).label("passed"),
                   func.sum(case((rows.c.required, 1), else_=0)).label("required"))
            .group_by(rows.c.firm_id, rows.c.person_type))
