"""The monthly sums the ledger keeps (HourMonthTotal) are what the records say: through
credits, re-credits that move a record to another month, person, year or amount, batches,
corrections and withdrawals — compared with the records' own months (Beijing time, counted
here in Python) and with `rebuild_totals` (`flask cpe rebuild`)."""
import datetime as dt
import random
from decimal import Decimal

from app import clock
from app.models import PersonStatus
from app.models.hours import HourMonthTotal, HourRecord
from app.models.registry import Person, PersonType
from app.workflows import hours
from app.workflows.home import cpe
from app.workflows.hours import ledger
from tests.helpers import NOW

BEIJING = clock.LOCAL_TZ
YEARS = (2025, 2026)


def _person(session):
    p = Person(person_type=PersonType.CPA, name="李四", status=PersonStatus.ACTIVE)
    session.add(p)
    session.commit()
    return p


def _kept(session) -> dict:
    """{(person, year, month): tenths} of the kept sums (zeros left out)."""
    return {(t.person_id, t.year, n): getattr(t, m)
            for t in session.query(HourMonthTotal)
            for n, m in enumerate(HourMonthTotal.MONTHS, start=1) if getattr(t, m)}


def _computed(session) -> dict:
    """The same from the records: the Beijing month of 获得时间; a moment before its year
    counts in January, one after it in December."""
    sums = {}
    for r in session.query(HourRecord):
        local = r.obtained_at.astimezone(BEIJING)
        month = local.month if local.year == r.year else (1 if local.year < r.year else 12)
        key = (r.person_id, r.year, month)
        sums[key] = sums.get(key, 0) + int(Decimal(r.hours) * 10)
    return {k: v for k, v in sums.items() if v}


def _moment(rng, year):
    """A moment near a month's boundary in Beijing, sometimes in the year before or after."""
    month = rng.randrange(1, 13)
    day_year = year + rng.choice((0, 0, 0, 0, -1, 1))
    base = dt.datetime(day_year, month, 1, tzinfo=BEIJING)
    if day_year > NOW.year or base > NOW:
        base = dt.datetime(2025, month, 1, tzinfo=BEIJING)
    return base + dt.timedelta(minutes=rng.choice((-90, -1, 0, 1, 90, 60 * 24 * 10)))


def test_the_monthly_sums_follow_every_credit_change_and_withdrawal(ctx, world):
    rng = random.Random(28)
    people = [_person(ctx) for _ in range(4)]
    live = set()
    for step in range(200):
        action = rng.random()
        if live and action < 0.2:
            source = rng.choice(sorted(live))
            assert hours.withdraw(None, NOW, "import", source) is True
            live.discard(source)
            continue
        # half the rest re-credit a live source: another month, person, year or amount
        source = rng.choice(sorted(live)) if live and action < 0.55 else f"month:{step}"
        year = rng.choice(YEARS)
        hours.credit(None, NOW, source_kind="import", source_id=source,
                     person_id=rng.choice(people).id, year=year, title="课程",
                     category="专业课", delivery=rng.choice(("网络课程", "面授")),
                     hours=f"{rng.randrange(1, 120) / 10:.1f}", obtained_at=_moment(rng, year))
        live.add(source)
    # a batch (new sources, one of them twice, and an old one changed) and a correction
    batch = [dict(source_kind="import", source_id=f"batch:{n}", person_id=people[n % 4].id,
                  year=2026, title="课程", category="专业课", delivery="面授", hours="1.5",
                  obtained_at=_moment(rng, 2026)) for n in range(12)]
    old = sorted(live)[0]
    ledger.credit_many(None, NOW, [*batch, batch[0], dict(
        batch[1], source_id=old, hours="7.7", obtained_at=dt.datetime(2026, 5, 1, 3, 0,
                                                                       tzinfo=BEIJING))])
    from flask_appbuilder.security.sqla.models import User
    staff = ctx.query(User).filter_by(username="staff1").one()
    hours.add_correction(staff, NOW, person_id=people[0].id, year=2026, title="更正",
                         category="专业课", delivery="面授", hours="-2.5",
                         obtained_at=dt.date(2026, 3, 31), reason="多计")
    ctx.commit()

    kept = _kept(ctx)
    assert kept and kept == _computed(ctx)
    # the chart reads the kept sums: the year's records by month, the running total
    chart = cpe.monthly_hours(2026)
    months = {n: Decimal(sum(v for (_p, y, m), v in kept.items() if y == 2026 and m == n))
              / 10 for n in range(1, 13)}
    assert chart.series[0][1] == [months[n] for n in range(1, 13)]
    assert chart.series[1][1][-1] == sum(months.values()) != 0
    # withdraw everything left of one person: its months go back to zero
    for record in ctx.query(HourRecord).filter_by(person_id=people[1].id).all():
        hours.withdraw(None, NOW, record.source_kind, record.source_id)
    ctx.commit()
    kept = _kept(ctx)
    assert not [k for k in kept if k[0] == people[1].id]
    assert kept == _computed(ctx)
    # `flask cpe rebuild` recomputes exactly what was kept
    hours.rebuild_totals(ctx)
    ctx.commit()
    assert _kept(ctx) == kept


def test_rebuild_puts_back_monthly_sums_lost_or_wrong(ctx):
    p = _person(ctx)
    hours.credit(None, NOW, source_kind="import", source_id="lost", person_id=p.id, year=2026,
                 title="课程", category="专业课", delivery="面授", hours="3",
                 obtained_at=dt.datetime(2026, 4, 30, 23, 30, tzinfo=BEIJING))
    ctx.commit()
    assert _kept(ctx) == {(p.id, 2026, 4): 30}
    ctx.query(HourMonthTotal).update({"m04": 0, "m05": 99})
    ctx.commit()
    assert hours.rebuild_totals(ctx, 2026) == 1
    ctx.commit()
    assert _kept(ctx) == {(p.id, 2026, 4): 30}
