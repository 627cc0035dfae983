"""The hour queries of seed 000 §4.1–4.3 (信息查询), scoped to the actor, as SQL:

- `overview(session, actor, year, firm_id=None)` — 事务所培训概况: per person type, 人数,
  参与学习人数 (any hours that year), 通过人数;
- `annual(session, actor, criteria)` — 学员年度学时: one row per person with 已获学时, 有效学时,
  面授学时, 思政学时, 职业道德学时 and the verdict, from the yearly sums the ledger keeps;
- `person_detail(session, actor, person_id, year)` — the person's records of the year and the
  verdict sentence under them (the manual's dialog behind 已获学时);
- `details(session, actor, criteria)` — 学员学时明细: one row per record with the manual's
  filters (年度, 会员类型, 课程, 面授 / 职业道德 / 思政, 学时 range, 通过日期 range, 用户名, 真实姓名,
  账号状态).

Staff see every firm and may choose one (`firm_id`); a firm admin sees its own people
whatever it asks for; a member only itself. Every function returns SELECTs (or rows) that
the pages page, order and export without a Python loop over people.
"""
import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Integer, and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import True_

from app.models import Account, Firm, HourRecord, Person, PersonType
from app.models.hours import Category, Delivery
from app.workflows.core.errors import ValidationError
from app.workflows.core.scoping import get_scoped, is_institute, scope_condition
from app.workflows.core.sql import inline, limited, page  # noqa: F401  (page: the lists' pager)
from app.workflows.hours.rules import person_year, year_flags, year_results, year_select
from app.workflows.hours import ledger

PASSED, FAILED, NOT_REQUIRED, EXEMPT = "通过", "未通过", "无要求", "豁免"
VERDICTS = (PASSED, FAILED, NOT_REQUIRED)
# 学员学时明细's three ticks: 面授 (the face-to-face deliveries), 职业道德, 思政
KINDS = {"面授": HourRecord.delivery.in_(Delivery.FACE_TO_FACE_KINDS),
         "职业道德": HourRecord.category == Category.ETHICS,
         "思政": HourRecord.category == Category.SIZHENG}


def _people(actor, firm_id):
    """The condition on Person for what the actor may see, narrowed to a chosen firm."""
    condition = scope_condition(Person, actor)
    if firm_id is not None:
        condition = and_(condition, Person.firm_id == firm_id)
    return condition


def _login():
    """用户名: the login of the person's account (outer-joined: not everyone has one)."""
    return User.username.label("username")


def _with_login(query):
    return (query.outerjoin(Account, Account.person_id == Person.id)
            .outerjoin(User, User.id == Account.user_id))


# --- criteria parsed from a page's query string -----------------------------------------

def parse_year(value, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ValidationError("年度须为四位数字年份", "year") from None
    if not 2000 <= year <= 2100:
        raise ValidationError("年度须在2000至2100之间", "year")
    return year


def parse_decimal(value, field: str, label: str):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{label}须为数字", field) from None
    if not number.is_finite() or abs(number) >= 100000:
        raise ValidationError(f"{label}须为数字", field)
    return number


def parse_date(value, field: str, label: str):
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{label}须为日期（如 2025-08-05）", field) from None


def parse_firm(session, actor, value):
    """Staff's chosen firm (id), else None; anyone else's choice is ignored (scope holds)."""
    if value in (None, "") or not is_institute(actor):
        return None
    try:
        firm_id = int(value)
    except ValueError:
        raise ValidationError("请选择事务所", "firm") from None
    if session.get(Firm, firm_id) is None:
        raise ValidationError("所选事务所不存在", "firm")
    return firm_id


def text_criterion(value) -> str | None:
    """A typed text criterion, trimmed and bounded (None when empty)."""
    value = (value or "").strip()
    return value[:64] or None


# --- 事务所培训概况 -----------------------------------------------------------------------

def overview(session, actor, year: int, firm_id: int | None = None):
    """Per person type: people, studied (any hours that year), passed — for the actor's
    scope (staff: every firm, or the chosen one). Rows ordered by person type."""
    rows = year_flags(session, year).add_columns(Person.person_type.label("person_type")) \
        .where(_people(actor, firm_id)).subquery("people")
    count = lambda condition: func.sum(case((condition, 1), else_=0)).cast(Integer)  # noqa: E731
    return (select(rows.c.person_type, func.count().label("people"),
                   count(rows.c.studied).label("studied"),
                   count(rows.c.passed).label("passed"),
                   count(rows.c.required).label("required"))
            .group_by(rows.c.person_type).order_by(_type_order(rows.c.person_type)))


def _type_order(column):
    """注册会计师, 非执业会员, 其他从业人员 — the manuals' order, not the alphabet's."""
    return case(*((column == t, n) for n, t in enumerate(PersonType.ALL)), else_=len(PersonType.ALL))


# --- 学员年度学时 -------------------------------------------------------------------------

@dataclasses.dataclass
class AnnualCriteria:
    year: int
    firm_id: int | None = None
    person_type: str | None = None
    name: str | None = None
    cert_number: str | None = None
    username: str | None = None
    verdict: str | None = None  # 通过 / 未通过


def _who(actor, criteria: AnnualCriteria) -> list:
    """The conditions on Person (and its login) of the annual criteria, scope first."""
    conditions = [_people(actor, criteria.firm_id)]
    if criteria.person_type:
        conditions.append(Person.person_type == criteria.person_type)
    if criteria.name:
        conditions.append(Person.name.contains(criteria.name, autoescape=True))
    if criteria.cert_number:
        conditions.append(Person.cert_number.startswith(criteria.cert_number, autoescape=True))
    if criteria.username:
        conditions.append(User.username == criteria.username)
    return conditions


def annual(session, actor, criteria: AnnualCriteria):
    """One row per person the actor may see: who, and the year's sums and verdict."""
    sums = year_select(session, criteria.year).add_columns(
        Person.person_type.label("person_type"), Person.name.label("name"),
        Person.cert_number.label("cert_number"), Person.status.label("status"),
        Firm.name.label("firm_name"), _login())
    sums = _with_login(sums.outerjoin(Firm, Firm.id == Person.firm_id))
    sums = sums.where(*_who(actor, criteria))
    if criteria.verdict in VERDICTS:
        rows = sums.subquery("annual")
        wanted = {PASSED: and_(rows.c.required.is_(True), rows.c.passed.is_(True)),
                  FAILED: rows.c.passed.is_(False),
                  NOT_REQUIRED: rows.c.required.is_(False)}[criteria.verdict]
        return select(rows).where(wanted)
    return sums


def annual_total(session, actor, criteria: AnnualCriteria) -> int:
    """How many rows `annual` gives: without a verdict to filter on, the people in question
    are counted alone (no sums computed only to be counted)."""
    if criteria.verdict in VERDICTS:
        return session.execute(select(func.count()).select_from(
            annual(session, actor, criteria).subquery())).scalar()
    people = select(func.count()).select_from(Person)
    if criteria.username:
        people = _with_login(people)
    return session.execute(people.where(*_who(actor, criteria))).scalar()


def annual_page(session, actor, criteria: AnnualCriteria, number: int, size: int,
                order: str | None = None, descending: bool = False):
    """(rows of page `number`, total) of 学员年度学时. The page's people are chosen first —
    the same joins, filters and order, selecting their ids alone — and only those 20 rows are
    built whole: ordering every person's full row (names, login, firm, hours) to keep 20 was
    most of the institute-wide page's time (60,000 persons)."""
    query = annual_order(annual(session, actor, criteria), order, descending,
                         by_firm=spans_firms(actor, criteria))
    person_id = query.selected_columns["person_id"]
    chosen = limited(query.with_only_columns(person_id), size, (number - 1) * size)
    rows = session.execute(query.where(person_id.in_(chosen.scalar_subquery()))).all()
    return rows, annual_total(session, actor, criteria)


def spans_firms(actor, criteria) -> bool:
    """Whether the rows may come from several firms (staff who chose no firm)."""
    return is_institute(actor) and criteria.firm_id is None


def annual_order(query, column: str | None, descending: bool, by_firm: bool = True):
    """Order the annual rows by one of its columns; else by name — within each firm when
    the rows span firms (ordering one firm's people by their name alone lets PostgreSQL walk
    the name index and stop at the page)."""
    columns = query.selected_columns
    if column in ("obtained", "counted", "face_to_face", "ethics", "sizheng", "name",
                  "cert_number", "person_type"):
        key = columns[column]
        return query.order_by(key.desc() if descending else key.asc(), columns["person_id"])
    if not by_firm:
        return query.order_by(columns["name"], columns["person_id"])
    # firms by name, 协会代管 (no firm) last on every database
    return query.order_by(case((columns["firm_name"].is_(None), 1), else_=0),
                          columns["firm_name"], columns["name"], columns["person_id"])


def person_detail(session, actor, person_id: int, year: int):
    """(person, the year's records newest first, YearResult) — a person the actor may see."""
    person = get_scoped(session, Person, person_id, actor)
    records = session.execute(
        select(HourRecord).where(HourRecord.person_id == person.id, HourRecord.year == year)
        .order_by(HourRecord.obtained_at.desc(), HourRecord.id.desc())).scalars().all()
    return person, records, person_year(session, person, year)


def person_years(session, actor, person_id: int):
    """Every year a person has hours in, newest first, each with its YearResult."""
    person = get_scoped(session, Person, person_id, actor)
    return person, year_results(session, person)


# --- 学员学时明细 -------------------------------------------------------------------------

@dataclasses.dataclass
class DetailCriteria:
    year: int | None = None
    firm_id: int | None = None
    person_type: str | None = None
    title: str | None = None
    kinds: tuple = ()  # any of 面授 / 职业道德 / 思政
    hours_from: Decimal | None = None
    hours_to: Decimal | None = None
    passed_from: dt.date | None = None
    passed_to: dt.date | None = None
    username: str | None = None
    name: str | None = None
    status: str | None = None  # 账号状态: 正常 / 撤销
    person_id: int | None = None


def _detail_conditions(actor, criteria: DetailCriteria):
    """The 学员学时明细 filters, by the table they need: (on the record alone, on Person,
    on the login). Staff asking for every firm need no Person condition at all."""
    c = criteria
    on_record = [condition() for given, condition in (
        (c.year is not None, lambda: HourRecord.year == c.year),
        (bool(c.title), lambda: HourRecord.title.contains(c.title, autoescape=True)),
        (c.hours_from is not None, lambda: HourRecord.hours >= c.hours_from),
        (c.hours_to is not None, lambda: HourRecord.hours <= c.hours_to),
        # 通过日期 are Beijing days; 获得时间 a UTC moment: the days' bounds, converted
        (c.passed_from is not None,
         lambda: HourRecord.obtained_at >= ledger.obtained_moment(c.passed_from)),
        (c.passed_to is not None, lambda: HourRecord.obtained_at < ledger.obtained_moment(
            c.passed_to + dt.timedelta(days=1))),
        (c.person_id is not None, lambda: HourRecord.person_id == c.person_id),
    ) if given]
    chosen = [KINDS[k] for k in c.kinds if k in KINDS]
    if chosen:
        on_record.append(or_(*chosen))
    on_person = [condition() for given, condition in (
        (bool(c.person_type), lambda: Person.person_type == c.person_type),
        (bool(c.name), lambda: Person.name.contains(c.name, autoescape=True)),
        (bool(c.status), lambda: Person.status == c.status),
    ) if given]
    seen = _people(actor, c.firm_id)
    if not isinstance(seen, True_):
        on_person.insert(0, seen)
    on_login = [User.username == c.username] if c.username else []
    return on_record, on_person, on_login


def _detail_columns(source):
    """The 学员学时明细 row of each hour record of `source` (HourRecord, or a join to it)."""
    return _with_login(select(
        HourRecord.id, Person.id.label("person_id"), Person.person_type, _login(),
        Person.name, Person.status, HourRecord.title, HourRecord.hours, HourRecord.delivery,
        HourRecord.category, HourRecord.obtained_at, HourRecord.acquisition, HourRecord.year,
        HourRecord.source_kind,
        HourRecord.minutes,
    ).select_from(source).join(Person, Person.id == HourRecord.person_id))


def details(session, actor, criteria: DetailCriteria):
    """One row per hour record of the people the actor may see, newest first."""
    on_record, on_person, on_login = _detail_conditions(actor, criteria)
    query = _detail_columns(HourRecord).where(*on_record, *on_person, *on_login)
    return query.order_by(HourRecord.obtained_at.desc(), HourRecord.id.desc())


# from this row on, a page of people's records (a firm's, or a filter on the person) picks
# its records' ids from theirs before sorting: walking the year's records newest first
# and looking each one's person up stops only after offset ÷ (their share) records — page
# 50 of a 3,000-person firm read 20,000 records and 20,000 persons (issue 28)
DEEP_OFFSET = 400


def _deep_details(actor, criteria: DetailCriteria, size: int, offset: int):
    """`details` limited to a page far from the first, of records narrowed by person: the
    people's records' (id, obtained_at) first — read from ix_hour_record_person_year_obtained
    alone, kept apart from the rest of the query (MATERIALIZED, PostgreSQL) so the planner
    does not walk the whole year instead — sorted, then the page's rows for those ids."""
    on_record, on_person, on_login = _detail_conditions(actor, criteria)
    chosen = select(HourRecord.id, HourRecord.obtained_at).join(
        Person, Person.id == HourRecord.person_id)
    if on_login:
        chosen = (chosen.join(Account, Account.person_id == Person.id)
                  .join(User, User.id == Account.user_id))
    chosen = chosen.where(*on_record, *on_person, *on_login).cte("chosen").prefix_with(
        "MATERIALIZED", dialect="postgresql")
    shown = limited(select(chosen.c.id, chosen.c.obtained_at).order_by(
        chosen.c.obtained_at.desc(), chosen.c.id.desc()), size, offset).subquery("shown")
    return _detail_columns(shown.join(HourRecord, HourRecord.id == shown.c.id)).order_by(
        shown.c.obtained_at.desc(), shown.c.id.desc())


# 学员学时明细 counts its rows exactly up to here (500 pages of 20) and says 「10000+」
# beyond: counting a year of every firm (780,000 records) or of a 3,000-person firm (39,000)
# on every page cost more than the page itself (issue 28)
DETAILS_COUNT_CAP = 10_000


def details_count(session, actor, criteria: DetailCriteria, cap: int | None = None) -> int:
    """How many rows `details` has, counted on the hour records alone: person and login are
    joined only for a filter that needs them (a person has at most one account, so the
    list's outer join adds no rows). Staff's first page of a year does not join 780,000
    records to person, account and user only to count them (issue 28). With `cap`, the
    count stops at cap + 1 rows: a result above `cap` says "more than cap"."""
    on_record, on_person, on_login = _detail_conditions(actor, criteria)
    query = select(func.count() if cap is None else literal(1)).select_from(HourRecord)
    if on_person or on_login:
        query = query.join(Person, Person.id == HourRecord.person_id)
    if on_login:
        query = (query.join(Account, Account.person_id == Person.id)
                 .join(User, User.id == Account.user_id))
    query = query.where(*on_record, *on_person, *on_login)
    if cap is not None:
        query = select(func.count()).select_from(
            query.limit(inline(int(cap) + 1)).subquery("capped"))
    return session.execute(query).scalar()


def details_page(session, actor, criteria: DetailCriteria, number: int, size: int,
                 cap: int | None = None):
    """(rows of page `number`, total) of 学员学时明细; the total counted up to `cap` + 1
    (details_count), and not counted at all when the first page is not full."""
    offset = (number - 1) * size
    if offset >= DEEP_OFFSET and _detail_conditions(actor, criteria)[1]:
        rows = session.execute(_deep_details(actor, criteria, size, offset)).all()
    else:
        rows = session.execute(limited(details(session, actor, criteria), size, offset)).all()
    if number == 1 and len(rows) < size:
        return rows, len(rows)
    return rows, details_count(session, actor, criteria, cap)


def verdict_label(passed, required=True, exempt=False) -> str:
    """通过 / 未通过; 豁免 for a confirmed exemption that leaves nothing to pass; 无要求 when
    the year asks nothing of the person (其他从业人员 by default)."""
    if not required:
        return EXEMPT if exempt else NOT_REQUIRED
    return PASSED if passed else FAILED
