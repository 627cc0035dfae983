"""The yearly verdict kept beside each person's sums (HourYearTotal: exempt … missing_sizheng)
equals the verdict computed from scratch after every kind of change it depends on: a credit,
a re-credit, a withdrawal, a batch, a requirement added / changed / removed, an exemption
added / removed (also by a bulk DELETE), a person's type, firm and status, the staff-list
import's bulk type change, a year nobody has hours in yet, and `cpe rebuild` after the
kept values were spoilt. No HTTP: the workflows, with an actor and `now`.

From scratch, twice: `rules.verdict_select` (the SQL over sums, requirement and exemptions,
in tenths) for every person, and `rules.person_year` (Python over the hour records) for
the pages' own rows (`year_gap_select`, which read the kept values)."""
import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, select, update

from app.models import PersonStatus
from app.models.hours import CpeExemption, CpeRequirement, HourYearTotal
from app.models.registry import Firm, FirmStatus, Person, PersonType
from app.workflows import hours
from app.workflows.hours import ledger, verdicts
from app.workflows.hours.rules import GAPS, KEPT, verdict_select, year_gap_select
from app.workflows.core.scoping import SystemActor
from tests.helpers import NOW

ACTOR = SystemActor("test")
TENTH = Decimal("0.1")
_n = [0]


def _person(session, person_type=PersonType.CPA, firm=None):
    p = Person(person_type=person_type, name="张三", status=PersonStatus.ACTIVE,
               firm_id=firm.id if firm else None)
    session.add(p)
    session.commit()
    return p


def _give(session, p, amount, year=2025, category="专业课", delivery="面授", source=None):
    _n[0] += 1
    source = source or f"k:{_n[0]}"
    hours.credit(ACTOR, NOW, source_kind="import", source_id=source, person_id=p.id,
                 year=year, title="课程", category=category, delivery=delivery, hours=amount,
                 obtained_at=dt.date(year, 7, 1))
    session.commit()
    return source


def assert_kept(session, year):
    """Kept = from scratch, for every person (with and without a kept row)."""
    session.expire_all()
    scratch = {r.person_id: r for r in session.execute(verdict_select(session, year))}
    kept = {t.person_id: t for t in session.scalars(
        select(HourYearTotal).where(HourYearTotal.year == year))}
    for person_id, row in kept.items():
        assert {k: getattr(row, k) for k in KEPT} == {
            k: scratch[person_id]._mapping[k] for k in KEPT}, (person_id, year)
    exempted = set(session.scalars(select(CpeExemption.person_id).where(
        CpeExemption.year == year)))
    assert exempted <= set(kept), "an exempted person-year has a kept row"
    shown = {r.person_id: r for r in session.execute(year_gap_select(session, year))}
    assert set(shown) == set(scratch)
    for person_id, row in shown.items():
        expected = scratch[person_id]
        assert (bool(row.passed), bool(row.required), bool(row.exempt),
                Decimal(row.counted), Decimal(row.gap),
                *(Decimal(getattr(row, key)) for key, _label in GAPS)) == (
            bool(expected.passed), bool(expected.required), bool(expected.exempt),
            Decimal(expected.counted) * TENTH, Decimal(expected.gap) * TENTH,
            *(Decimal(getattr(expected, key)) * TENTH for key, _label in GAPS)), person_id
        result = hours.person_year(session, session.get(Person, person_id), year)
        assert (bool(row.passed), bool(row.required), bool(row.exempt),
                Decimal(row.counted), Decimal(row.obtained)) == (
            result.passed, result.required, result.exempt, result.counted,
            result.obtained), person_id
    return shown


def test_kept_verdict_follows_credits_withdrawals_and_batches(ctx):
    a, b = _person(ctx), _person(ctx, PersonType.NON_PRACTICING)
    source = _give(ctx, a, "30.0")
    assert not assert_kept(ctx, 2025)[a.id].passed
    _give(ctx, a, "6.0", category="职业道德")
    _give(ctx, a, "8.0", delivery="网络课程")
    assert assert_kept(ctx, 2025)[a.id].passed  # 44 有效, 44 面授… and 6 职业道德
    # re-credited into another year: both years move
    hours.credit(ACTOR, NOW, source_kind="import", source_id=source, person_id=a.id,
                 year=2024, title="课程", category="专业课", delivery="面授", hours="30.0",
                 obtained_at=dt.date(2024, 7, 1))
    ctx.commit()
    assert not assert_kept(ctx, 2025)[a.id].passed
    assert_kept(ctx, 2024)
    hours.withdraw(ACTOR, NOW, "import", source)
    ctx.commit()
    assert_kept(ctx, 2024)
    ledger.credit_many(ACTOR, NOW, [
        dict(source_kind="import", source_id=f"batch:{i}", person_id=p.id, year=2025,
             title="课程", category="专业课", delivery="投入式", hours="10.0",
             obtained_at=dt.date(2025, 3, 1)) for i, p in enumerate((a, b, b))])
    ctx.commit()
    shown = assert_kept(ctx, 2025)
    assert not shown[b.id].passed and Decimal(shown[b.id].gap) == Decimal("20.0")


def test_kept_verdict_follows_requirement_edits(ctx):
    cpa, other = _person(ctx), _person(ctx, PersonType.OTHER)
    _give(ctx, cpa, "40.0")
    _give(ctx, cpa, "4.0", category="职业道德")
    _give(ctx, other, "2.0")
    assert assert_kept(ctx, 2025)[cpa.id].passed
    requirement = CpeRequirement(year=2025, person_type=PersonType.CPA, min_total=50,
                                 min_face_to_face=16, min_input=0, min_ethics=4, min_sizheng=0,
                                 cap_online=24, cap_output=24)
    ctx.add(requirement)
    ctx.commit()
    assert not assert_kept(ctx, 2025)[cpa.id].passed
    requirement.min_total = Decimal(44)
    ctx.commit()
    assert assert_kept(ctx, 2025)[cpa.id].passed
    requirement.person_type = PersonType.OTHER  # moves to another type: both follow
    requirement.min_total, requirement.min_ethics = Decimal(10), Decimal(0)
    ctx.commit()
    shown = assert_kept(ctx, 2025)
    assert shown[cpa.id].passed and shown[other.id].required and not shown[other.id].passed
    ctx.delete(requirement)
    ctx.commit()
    assert not assert_kept(ctx, 2025)[other.id].required


def test_kept_verdict_follows_exemptions(ctx):
    cpa, member = _person(ctx), _person(ctx, PersonType.NON_PRACTICING)
    _give(ctx, member, "20.0", delivery="投入式")
    idle = _person(ctx)  # no hours at all
    exemptions = [CpeExemption(person_id=p.id, year=2025, condition="产假", created_at=NOW,
                               source_kind="application", source_id=f"x{p.id}")
                  for p in (cpa, member, idle)]
    ctx.add_all(exemptions)
    ctx.commit()
    shown = assert_kept(ctx, 2025)
    assert shown[idle.id].exempt and not shown[idle.id].required  # a row made for it
    assert shown[member.id].passed  # halved: 20 of 20
    ctx.delete(exemptions[1])
    ctx.commit()
    assert not assert_kept(ctx, 2025)[member.id].passed
    # withdrawn by a bulk DELETE (a withdrawn 豁免 application): told explicitly
    ctx.execute(delete(CpeExemption).where(CpeExemption.person_id == idle.id))
    verdicts.exemption_removed(ctx, idle.id, 2025)
    ctx.commit()
    shown = assert_kept(ctx, 2025)
    assert shown[idle.id].required and not shown[idle.id].exempt


def test_kept_verdict_follows_a_persons_type_firm_and_status(ctx):
    firm = Firm(code="11019998", name="留存测试会计师事务所", status=FirmStatus.ACTIVE)
    ctx.add(firm)
    ctx.commit()
    p = _person(ctx, PersonType.OTHER)
    _give(ctx, p, "20.0")
    _give(ctx, p, "20.0", year=2024)
    assert not assert_kept(ctx, 2025)[p.id].required
    p.person_type = PersonType.CPA
    ctx.commit()
    assert not assert_kept(ctx, 2025)[p.id].passed
    assert assert_kept(ctx, 2024)[p.id].required
    p.firm_id, p.status = firm.id, PersonStatus.REVOKED
    ctx.commit()
    assert_kept(ctx, 2025)
    # the staff-list import's bulk UPDATE of the type is followed by its explicit refresh
    ctx.execute(update(Person).where(Person.id == p.id)
                .values(person_type=PersonType.NON_PRACTICING))
    verdicts.refresh_persons(ctx, [p.id])
    ctx.commit()
    assert_kept(ctx, 2025)
    assert_kept(ctx, 2024)


def test_a_year_nobody_has_hours_in_counts_everyone_as_not_passed(ctx):
    cpa, member, other = (_person(ctx, t) for t in PersonType.ALL)
    _give(ctx, cpa, "50.0")
    shown = assert_kept(ctx, 2027)
    assert ctx.scalar(select(HourYearTotal.id).where(HourYearTotal.year == 2027)) is None
    assert [(bool(shown[p.id].required), bool(shown[p.id].passed)) for p in (cpa, member, other)] \
        == [(True, False), (True, False), (False, True)]
    assert Decimal(shown[cpa.id].gap) == Decimal("40.0")
    overview = {r.person_type: r for r in ctx.execute(
        hours.firm_summary(ctx, 2027)).all()}
    assert overview[PersonType.CPA].passed == 0 and overview[PersonType.CPA].required == 1


def test_rebuild_recomputes_spoilt_kept_verdicts(ctx):
    p, q = _person(ctx), _person(ctx, PersonType.NON_PRACTICING)
    _give(ctx, p, "45.0")
    _give(ctx, p, "4.0", category="职业道德")
    ctx.add(CpeExemption(person_id=q.id, year=2025, condition="产假", created_at=NOW,
                         source_kind="application", source_id="r1"))
    ctx.commit()
    ctx.execute(update(HourYearTotal).values(passed=False, required=False, exempt=False, gap=7,
                                             counted=1, missing_ethics=3))
    ctx.execute(delete(HourYearTotal).where(HourYearTotal.person_id == q.id))
    ctx.commit()
    ledger.rebuild(ACTOR, NOW)
    shown = assert_kept(ctx, 2025)
    assert shown[p.id].passed and shown[q.id].exempt


def test_the_staff_list_imports_bulk_type_change_is_followed(ctx):
    """从业人员 whole-list import updates a person's type by one bulk UPDATE (no flush sees
    it): its own refresh keeps the verdict right."""
    from app.roles import STAFF
    from app.workflows import accounts, staff_list
    from tests.helpers import id_number, new_firm
    from tests.xlsx import xlsx

    firm = new_firm(ctx, "11010057")
    staff = accounts.create_account(username="staffk", display_name="协会", role_name=STAFF,
                                    password="Staff12345", now=NOW, must_change_password=False)
    ctx.commit()
    later = NOW + dt.timedelta(minutes=5)
    rows = [["王五", "13800000003", id_number(3), "非执业会员", None]]
    staff_list.commit(staff, later, staff_list.preview(staff, NOW, firm, "名单.xlsx",
                                                       xlsx(rows)).token)
    ctx.commit()
    p = ctx.scalars(select(Person).where(Person.phone == "13800000003")).one()
    _give(ctx, p, "12.0", delivery="投入式")
    assert assert_kept(ctx, 2025)[p.id].required
    rows[0][3] = "其他从业人员"
    staff_list.commit(staff, later, staff_list.preview(staff, NOW, firm, "名单.xlsx",
                                                       xlsx(rows)).token)
    ctx.commit()
    assert ctx.get(Person, p.id).person_type == PersonType.OTHER
    assert not assert_kept(ctx, 2025)[p.id].required
