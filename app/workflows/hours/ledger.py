"""The hour ledger: the one way hours enter or leave HourRecord.

- `credit(...)`: idempotent per source (source_kind, source_id) — crediting the same source
  again with the same values changes nothing; with changed values it updates that one record.
- `credit_many(actor, now, entries)`: the same for a batch (a daily job's), with one lookup
  and one yearly-sum upsert per person and year instead of one per record.
- `withdraw(...)`: removes exactly the record of that source (no-op when there is none).
- `add_correction(...)`: staff's manual correction (source "manual", a reason required,
  audited). Corrections may be negative (to take back wrongly credited hours) but not zero;
  every other source must credit a positive amount.
Hours are Decimal with at most one decimal place.

获得时间 (`obtained_at`) is a moment, kept to the second as the manual shows it (seed 000 §4.2:
「获得时间 … 2025-08-05 12:22:52」), stored UTC and shown in Beijing time. A source that knows
only a day (a class's 结束日期) is credited at 00:00 Beijing time of that day. No hour is ever
credited with a 获得时间 after `now`, whatever its source: the manual names the roster
「培训通过人员名单」 — hours belong to those who have passed, so a credit dated in the future
is refused (not moved to today: a class that has not happened has given nobody anything).

Every change also moves the person's yearly sums (HourYearTotal) by exactly the record's
contribution, in the same transaction, as one upsert that adds to the stored sums (so two
transactions crediting the same person at once both count: neither reads and rewrites).
It moves the person's monthly sums (HourMonthTotal: the year by the Beijing month of
`obtained_at`) the same way, in the same upsert order, on the same (person, year) key.
`rebuild_totals` recomputes both from the records (`flask --app run.py cpe rebuild`). The
year's verdict kept beside the sums is rewritten for the same person-years (verdicts.py).
"""
import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from sqlalchemy import Integer, case, delete, func, insert, literal, select

from app import clock
from app.workflows.core.bulk import upsert_insert
from app.extensions import db
from app.models.hours import (ACQUISITIONS, NORMAL_ACQUISITION, Category, Delivery,
                              HourMonthTotal, HourRecord, HourYearTotal, SourceKind)
from app.models.types import UTCDateTime
from app.models.registry import Person
from app.workflows.core.commands import command
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.scoping import is_institute
from app.workflows.hours import verdicts


def parse_hours(value, *, allow_negative: bool = False) -> Decimal:
    """A number with at most one decimal place (Chinese message otherwise)."""
    if isinstance(value, float):
        value = repr(value)
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError("学时须为数字，最多一位小数", "hours") from None
    if not hours.is_finite():
        raise ValidationError("学时须为数字，最多一位小数", "hours")
    if abs(hours) >= Decimal("100000"):  # before quantize: 1E+100 has no tenths to round to
        raise ValidationError("学时数值过大", "hours")
    if hours.as_tuple().exponent < -1 and hours != hours.quantize(Decimal("0.1")):
        raise ValidationError("学时须为数字，最多一位小数", "hours")
    hours = hours.quantize(Decimal("0.1"))
    if hours == 0 or (hours < 0 and not allow_negative):
        raise ValidationError("学时须大于0" if not allow_negative else "更正学时不能为0", "hours")
    return hours


def _check(category, delivery, title, obtained_at):
    if category not in Category.ALL:
        raise ValidationError(f"分类须为{'、'.join(Category.ALL)}之一", "category")
    if delivery not in Delivery.ALL:
        raise ValidationError(f"学时类型须为{'、'.join(Delivery.ALL)}之一", "delivery")
    if not (title or "").strip():
        raise ValidationError("请填写课程/培训班名称", "title")
    if not isinstance(obtained_at, dt.datetime):
        raise ValidationError("获得时间须为日期", "obtained_at")


FUTURE = "获得时间{when}晚于当前时间，学时只能在获得之后计入"


def obtained_moment(value) -> dt.datetime:
    """获得时间 as the ledger keeps it (aware UTC): a date is 00:00 Beijing time of that day,
    a naive datetime is Beijing wall time (as typed or imported), an aware one is kept."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.LOCAL_TZ)
        return value.astimezone(dt.timezone.utc).replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=clock.LOCAL_TZ).astimezone(
            dt.timezone.utc)
    raise ValidationError("获得时间须为日期", "obtained_at")


def check_not_future(obtained_at, now) -> dt.datetime:
    """The one rule for every source: hours are never credited with a 获得时间 after `now`
    (「培训通过人员名单」, seed 000 §6 — only what has been passed is credited)."""
    moment = obtained_moment(obtained_at)
    if now is not None and moment > now:
        raise ValidationError(FUTURE.format(when=clock.display(moment)), "obtained_at")
    return moment


def tenths(hours) -> int:
    """Hours as the yearly sums keep them: whole tenths (46.5 → 465)."""
    return int((Decimal(hours) * 10).to_integral_value())


def contribution(category: str, delivery: str, hours) -> dict:
    """What one record adds to its person's yearly sums (HourYearTotal.SUMS + records)."""
    t = tenths(hours)
    return {"records": 1, "total": t,
            "online": t if delivery == Delivery.ONLINE else 0,
            "output": t if delivery == Delivery.OUTPUT else 0,
            "face_to_face": t if delivery in Delivery.FACE_TO_FACE_KINDS else 0,
            "ethics": t if category == Category.ETHICS else 0,
            "sizheng": t if category == Category.SIZHENG else 0}


def _move_totals(person_id: int, year: int, category: str, delivery: str, hours,
                 sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one record's contribution, as one upsert."""
    _move_sums(person_id, year,
               {k: v * sign for k, v in contribution(category, delivery, hours).items()})


def _move_sums(person_id: int, year: int, values: dict) -> None:
    """Add `values` (HourYearTotal.SUMS + records) to a person's yearly sums, as one upsert."""
    _move_sums_many({(person_id, year): values})


def _move_sums_many(sums: dict) -> None:
    """{(person_id, year): values}: every person-year's sums moved by one statement
    (executemany of one upsert)."""
    if not sums:
        return
    # before any sums move: a requirement edit in flight finishes first (verdicts.hold)
    verdicts.hold(db.session, {year for _person, year in sums}, exclusive=False)
    table = HourYearTotal.__table__
    columns = ["records", *HourYearTotal.SUMS]
    statement = upsert_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id", "year"],
        set_={k: table.c[k] + statement.excluded[k] for k in columns})
    db.session.execute(statement, [
        {"person_id": person_id, "year": year, **{k: values.get(k, 0) for k in columns}}
        for (person_id, year), values in sums.items()])
    # the verdict kept beside the sums follows them, in the same transaction
    verdicts.refresh_pairs(db.session, sums)


def month_starts(year: int) -> list:
    """The first moment of each month of `year` after January, in the institute's time
    (clock.LOCAL_TZ), as UTC: where one local month ends and the next begins."""
    return [dt.datetime(year, m, 1, tzinfo=clock.LOCAL_TZ).astimezone(dt.timezone.utc)
            for m in range(2, 13)]


def month_of(year: int, obtained_at: dt.datetime) -> int:
    """The month of `year` a record obtained at `obtained_at` (aware) counts in: its month in
    Beijing time; before February January, from December 1st December (any year)."""
    return 1 + sum(1 for start in month_starts(year) if obtained_at >= start)


def local_month(column, year: int):
    """`month_of` in SQL: a CASE over the months' boundaries (the same SQL on SQLite and
    PostgreSQL, whatever the server's zone)."""
    return case(*[(column < literal(start, UTCDateTime), m)
                  for m, start in enumerate(month_starts(year), start=1)], else_=12)


def _move_months(moves: dict) -> None:
    """{(person_id, year): {month: tenths}}: every person-year's monthly sums moved by one
    statement (executemany of one upsert), in the order given (that of the yearly sums)."""
    moves = {key: months for key, months in moves.items() if any(months.values())}
    if not moves:
        return
    table = HourMonthTotal.__table__
    statement = upsert_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id", "year"],
        set_={m: table.c[m] + statement.excluded[m] for m in HourMonthTotal.MONTHS})
    db.session.execute(statement, [
        {"person_id": person_id, "year": year,
         **{m: months.get(n, 0) for n, m in enumerate(HourMonthTotal.MONTHS, start=1)}}
        for (person_id, year), months in moves.items()])


def _month_move(person_id: int, year: int, obtained_at, hours, sign: int) -> dict:
    return {(person_id, year): {month_of(year, obtained_at): tenths(hours) * sign}}


def rebuild_months(session, year: int | None = None) -> int:
    """Recompute HourMonthTotal from the records (all years, or one); returns the rows.
    One INSERT … SELECT per year: the months' boundaries are the year's."""
    table, r = HourMonthTotal.__table__, HourRecord
    t = func.round(r.hours * 10).cast(Integer)
    gone = delete(table)
    years = [year] if year is not None else list(session.scalars(select(r.year).distinct()))
    if year is not None:
        gone = gone.where(table.c.year == year)
    session.execute(gone)
    for y in years:
        month = local_month(r.obtained_at, y)
        session.execute(insert(table).from_select(
            ["person_id", "year", *HourMonthTotal.MONTHS],
            select(r.person_id, r.year, *[func.coalesce(func.sum(case((month == m, t),
                                                                       else_=0)), 0)
                                          for m in range(1, 13)])
            .where(r.year == y).group_by(r.person_id, r.year)))
    counted = select(func.count()).select_from(table)
    if year is not None:
        counted = counted.where(table.c.year == year)
    return session.execute(counted).scalar()


def rebuild_totals(session, year: int | None = None) -> int:
    """Recompute HourYearTotal from the records (all years, or one), then its kept verdicts
    (verdicts.refresh_all: an exempted person without hours keeps a row); returns the rows."""
    table, r = HourYearTotal.__table__, HourRecord
    t = func.round(r.hours * 10).cast(Integer)
    sums = lambda condition: func.coalesce(func.sum(case((condition, t), else_=0)), 0)  # noqa: E731
    source = select(
        r.person_id, r.year, func.count(), func.sum(t),
        sums(r.delivery == Delivery.ONLINE), sums(r.delivery == Delivery.OUTPUT),
        sums(r.delivery.in_(Delivery.FACE_TO_FACE_KINDS)), sums(r.category == Category.ETHICS),
        sums(r.category == Category.SIZHENG)).group_by(r.person_id, r.year)
    gone = delete(table)
    if year is not None:
        source, gone = source.where(r.year == year), gone.where(table.c.year == year)
    session.execute(gone)
    session.execute(insert(table).from_select(
        ["person_id", "year", "records", *HourYearTotal.SUMS], source))
    verdicts.refresh_all(session, year)
    counted = select(func.count()).select_from(table)
    if year is not None:
        counted = counted.where(table.c.year == year)
    rebuild_months(session, year)
    return session.execute(counted).scalar()


@command
def rebuild(actor, now, year: int | None = None) -> int:
    """`flask cpe rebuild`: recompute the yearly and monthly sums in one transaction;
    returns the rows of yearly sums."""
    return rebuild_totals(db.session, year)


def _values(now, *, source_kind: str, person_id: int, year: int, title: str, category: str,
            delivery: str, hours, obtained_at: dt.date, acquisition: str = "正常",
            reason: str | None = None, minutes: int | None = None) -> dict:
    """One source's record values, checked (a Chinese message naming the field if not)."""
    hours = parse_hours(hours, allow_negative=source_kind == SourceKind.MANUAL)
    obtained_at = check_not_future(obtained_at, now)
    _check(category, delivery, title, obtained_at)
    acquisition = acquisition or NORMAL_ACQUISITION
    if acquisition not in ACQUISITIONS:  # the source is the record's 来源, never its 获得方式
        raise ValidationError(f"获得方式须为{'、'.join(ACQUISITIONS)}", "acquisition")
    return dict(person_id=person_id, year=int(year), title=title.strip()[:200],
                category=category, delivery=delivery, hours=hours, obtained_at=obtained_at,
                acquisition=acquisition, reason=reason,
                minutes=int(minutes) if minutes is not None else None)


@command
def credit(actor, now, *, source_kind: str, source_id, person_id: int, year: int, title: str,
           category: str, delivery: str, hours, obtained_at: dt.date,
           acquisition: str = "正常", reason: str | None = None,
           minutes: int | None = None) -> HourRecord:
    """Credit (or re-credit) the hours of one source; returns its record."""
    values = _values(now, source_kind=source_kind, person_id=person_id, year=year, title=title,
                     category=category, delivery=delivery, hours=hours,
                     obtained_at=obtained_at, acquisition=acquisition, reason=reason,
                     minutes=minutes)
    hours = values["hours"]
    if db.session.get(Person, person_id) is None:
        raise ValidationError("人员不存在", "person")
    record = db.session.execute(select(HourRecord).filter_by(
        source_kind=source_kind, source_id=str(source_id))).scalar_one_or_none()
    if record is None:
        record = HourRecord(source_kind=source_kind, source_id=str(source_id), created_at=now,
                            created_by_id=getattr(actor, "id", None), **values)
        db.session.add(record)
    else:
        before = (record.person_id, record.year, record.category, record.delivery,
                  Decimal(record.hours).quantize(Decimal("0.1")))
        month_before = _month_move(record.person_id, record.year, record.obtained_at,
                                   before[-1], -1)
        for key, value in values.items():
            current = getattr(record, key)
            if key == "hours":
                current = Decimal(current).quantize(Decimal("0.1"))
            if current != value:
                setattr(record, key, value)
        after = (record.person_id, record.year, record.category, record.delivery, hours)
        month_after = _month_move(record.person_id, record.year, record.obtained_at, hours, 1)
        if before != after:
            _move_totals(*before, sign=-1)
            _move_totals(*after, sign=1)
        if month_before != {k: {m: -t for m, t in v.items()} for k, v in month_after.items()}:
            _move_months(month_before)  # another month, person, year or amount
            _move_months(month_after)
        db.session.flush()
        return record
    _move_totals(record.person_id, record.year, category, delivery, hours, sign=1)
    _move_months(_month_move(record.person_id, record.year, record.obtained_at, hours, 1))
    db.session.flush()
    return record


@command
def credit_many(actor, now, entries: list[dict]) -> list[HourRecord]:
    """`credit` for many sources at once (a daily job's batch): the same checks and the same
    outcome for each — idempotent per source, a changed source re-credited — with one lookup
    of the existing records, one of the persons, and one sum per person and year."""
    checked = [(str(e["source_kind"]), str(e["source_id"]),
                _values(now, **{k: v for k, v in e.items() if k != "source_id"}))
               for e in entries]
    if not checked:
        return []
    known = set(db.session.scalars(select(Person.id).where(
        Person.id.in_({v["person_id"] for _, _, v in checked}))))
    missing = next((v["person_id"] for _, _, v in checked if v["person_id"] not in known), None)
    if missing is not None:
        raise ValidationError(f"人员不存在（{missing}）", "person")
    existing = {}
    for kind in {k for k, _, _ in checked}:
        ids = [i for k, i, _ in checked if k == kind]
        for start in range(0, len(ids), 500):
            for record in db.session.scalars(select(HourRecord).where(
                    HourRecord.source_kind == kind,
                    HourRecord.source_id.in_(ids[start:start + 500]))):
                existing[(kind, record.source_id)] = record
    results, sums, months, seen = [], {}, {}, set()
    for kind, source_id, values in checked:
        if (kind, source_id) in existing or (kind, source_id) in seen:
            # already credited (or twice in this batch): the one-source path decides
            results.append(credit(actor, now, source_id=source_id, **values,
                                  source_kind=kind))
            continue
        seen.add((kind, source_id))
        record = HourRecord(source_kind=kind, source_id=source_id, created_at=now,
                            created_by_id=getattr(actor, "id", None), **values)
        db.session.add(record)
        results.append(record)
        key = (values["person_id"], values["year"])
        adding = contribution(values["category"], values["delivery"], values["hours"])
        sums[key] = {k: sums.get(key, {}).get(k, 0) + v for k, v in adding.items()}
        month = month_of(values["year"], values["obtained_at"])
        months.setdefault(key, {})[month] = (months.get(key, {}).get(month, 0)
                                             + tenths(values["hours"]))
    db.session.flush()
    _move_sums_many(sums)
    _move_months({key: months[key] for key in sums})
    return results


@command
def withdraw(actor, now, source_kind: str, source_id) -> bool:
    """Remove the hours of exactly this source; True when there were some."""
    record = db.session.execute(select(HourRecord).filter_by(
        source_kind=source_kind, source_id=str(source_id))).scalar_one_or_none()
    if record is None:
        return False
    _move_totals(record.person_id, record.year, record.category, record.delivery,
                 record.hours, sign=-1)
    _move_months(_month_move(record.person_id, record.year, record.obtained_at, record.hours,
                             -1))
    db.session.delete(record)
    return True


@command
def add_correction(actor, now, *, person_id: int, year: int, title: str, category: str,
                   delivery: str, hours, obtained_at: dt.date, reason: str) -> HourRecord:
    """Staff's manual correction: reason required; may be negative, never zero."""
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以更正学时")
    for field, label, value in (("title", "名称", title), ("category", "类别", category),
                                ("delivery", "形式", delivery), ("reason", "更正原因", reason)):
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{label}须为文本", field)
    if not (reason or "").strip():
        raise ValidationError("请填写更正原因", "reason")
    return credit(actor, now, source_kind=SourceKind.MANUAL, source_id=uuid.uuid4().hex,
                  person_id=person_id, year=year, title=title, category=category,
                  delivery=delivery, hours=hours, obtained_at=obtained_at, reason=reason.strip())
