"""The yearly verdict kept beside each person's sums (HourYearTotal's `exempt` …
`missing_sizheng`, rules.KEPT), so that the institute-wide pages (学员年度学时, 事务所培训概况,
the staff home page) count and order kept values instead of judging 60,000 persons at every
request.

One source of truth: the kept values are always written by `rules.verdict_select` — the
verdict computed from the sums, the year's requirement and the exemptions — for exactly the
persons a change touches, in the transaction of the change:

- a credit or withdrawal: the ledger, for the person-years whose sums it moved (`refresh`);
- a requirement (学时要求设置) added, changed or removed: every person of that type and year;
- an exemption added or removed: that person and year (an exempted person always has a
  row, with zero sums when no hours, so that a person without a row is never exempt);
- a person's type: each year the person has a row for.
The last three are caught at every flush (`_after_flush`: the staff's forms and the
workflows alike); a bulk UPDATE/DELETE that bypasses the session calls `refresh` or
`refresh_persons` itself (the staff-list import, a withdrawn exemption application).
A person's firm or status is not part of the verdict: the pages join Person for those.
`flask --app run.py cpe rebuild` recomputes the sums and then every kept verdict.

Concurrent writers (PostgreSQL, READ COMMITTED): a credit computes its person's verdict
with the requirement it reads, while a requirement edit in flight recomputes everyone from
the sums *it* read — each would keep a verdict the other made stale. So the writers of a
year's verdicts hold that year's advisory lock (`hold`): every credit and withdrawal shared
(before it moves any sums; credits do not wait for each other), a requirement, exemption or
type change exclusive (it waits for the credits in flight and they for it), each taken in
year order and released at commit. SQLite lets one transaction write at a time: no race.
"""
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from app.models.hours import CpeExemption, CpeRequirement, HourYearTotal
from app.models.registry import Person
from app.workflows.core.bulk import upsert_insert
from app.workflows.core.sql import inline
from app.workflows.hours.rules import KEPT, verdict_select

CHUNK = 500
LOCKS = 0x43504531  # the advisory-lock key space of the kept verdicts ("CPE1"); key 2: the year


def hold(session, years, *, exclusive: bool) -> None:
    """The advisory lock of each year in `years`, to the end of the transaction: shared
    (credits, withdrawals) or exclusive (what changes the verdict of many); see above."""
    if session.get_bind().dialect.name != "postgresql":
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    for year in sorted({int(y) for y in years}):
        session.execute(select(lock(LOCKS, year)))


def refresh(session, year: int, *where) -> None:
    """Write the verdict of `year` into the kept rows of the persons matching `where`
    (conditions on Person; none: everyone), as one UPDATE … FROM the rules' own SELECT."""
    source = verdict_select(session, year).where(*where).subquery("verdict")
    table = HourYearTotal.__table__
    session.execute(update(table).where(
        table.c.year == inline(int(year)), table.c.person_id == source.c.person_id)
        .values({key: source.c[key] for key in KEPT}))


def refresh_pairs(session, pairs) -> None:
    """`refresh` for (person id, year) pairs: one UPDATE per year (and 500 persons)."""
    by_year = {}
    for person_id, year in pairs:
        by_year.setdefault(int(year), set()).add(int(person_id))
    for year, ids in sorted(by_year.items()):
        ids = sorted(ids)
        for start in range(0, len(ids), CHUNK):
            refresh(session, year, Person.id.in_(ids[start:start + CHUNK]))


def refresh_persons(session, person_ids) -> None:
    """Every kept year of these persons (after a change of their type)."""
    ids = sorted({int(i) for i in person_ids})
    table = HourYearTotal.__table__
    pairs = []
    for start in range(0, len(ids), CHUNK):
        pairs += session.execute(select(table.c.person_id, table.c.year).where(
            table.c.person_id.in_(ids[start:start + CHUNK]))).all()
    hold(session, {year for _person, year in pairs}, exclusive=True)
    refresh_pairs(session, pairs)


def ensure_rows(session, pairs) -> None:
    """A kept row (zero sums) for each (person id, year) that has none."""
    pairs = sorted({(int(p), int(y)) for p, y in pairs})
    if not pairs:
        return
    statement = upsert_insert(HourYearTotal.__table__).on_conflict_do_nothing(
        index_elements=["person_id", "year"])
    session.execute(statement, [{"person_id": p, "year": y, "records": 0,
                                 **{k: 0 for k in HourYearTotal.SUMS}} for p, y in pairs])


def refresh_all(session, year: int | None = None) -> None:
    """Every kept verdict (of one year, or of every year with rows): rows first for every
    exempted person-year, then the verdict of everyone (`flask cpe rebuild`)."""
    exemptions = select(CpeExemption.person_id, CpeExemption.year)
    if year is not None:
        exemptions = exemptions.where(CpeExemption.year == year)
    ensure_rows(session, session.execute(exemptions).all())
    table = HourYearTotal.__table__
    years = [year] if year is not None else list(session.scalars(
        select(table.c.year).group_by(table.c.year)))
    for each in years:
        refresh(session, each)


# --- the changes caught at every flush -----------------------------------------------------

def _changed(obj, *keys) -> list:
    """The values `keys` had before and have now, as tuples (one when nothing moved)."""
    state = inspect(obj)
    before, after = [], []
    for key in keys:
        history = state.attrs[key].history
        now = history.added[0] if history.added else getattr(obj, key)
        was = history.deleted[0] if history.deleted else now
        before.append(was)
        after.append(now)
    return list({tuple(before), tuple(after)})


def _touched(session) -> tuple[set, set, set]:
    """(requirement (year, type)s, exemption (person, year)s, persons whose type changed)."""
    requirements, exemptions, persons = set(), set(), set()
    for obj in session.new | session.deleted:
        if isinstance(obj, CpeRequirement):
            requirements.add((obj.year, obj.person_type))
        elif isinstance(obj, CpeExemption):
            exemptions.add((obj.person_id, obj.year))
    for obj in session.dirty:
        if isinstance(obj, CpeRequirement):
            requirements.update(_changed(obj, "year", "person_type"))
        elif isinstance(obj, CpeExemption):
            exemptions.update(_changed(obj, "person_id", "year"))
        elif isinstance(obj, Person) and inspect(obj).attrs.person_type.history.has_changes():
            persons.add(obj.id)
    return requirements, exemptions, persons


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    requirements, exemptions, persons = _touched(session)
    requirements = sorted(r for r in requirements if None not in r)
    exemptions = {e for e in exemptions if None not in e}
    hold(session, {year for year, _type in requirements} | {year for _p, year in exemptions},
         exclusive=True)
    for year, person_type in requirements:
        refresh(session, year, Person.person_type == person_type)
    if exemptions:
        ensure_rows(session, exemptions)
        refresh_pairs(session, exemptions)
    if persons:
        refresh_persons(session, persons)


def exemption_removed(session, person_id: int, year: int) -> None:
    """After a bulk DELETE of an exemption (not seen by a flush)."""
    hold(session, [year], exclusive=True)
    refresh_pairs(session, [(person_id, year)])
