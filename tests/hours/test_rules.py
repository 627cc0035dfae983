"""The yearly verdict: the seed's own example, each rule, cap and exemption, the ledger's
idempotence, and the SQL aggregate agreeing with the per-person function."""
import datetime as dt
import random
from decimal import Decimal

import pytest

from app.models import PersonStatus
from app.models import FirmStatus
from app.extensions import db
from app.models.hours import CpeExemption, CpeRequirement, HourRecord
from app.models.registry import Firm, Person, PersonType
from app.workflows import hours
from app.workflows.core.errors import ValidationError
from tests.helpers import NOW

# seed 000 §4.2: the 12 courses of the detail dialog (分类, 已获学时, 学时类型)
SEED_COURSES = [
    ("职业道德", "中国注册会计师职业道德守则与案例讲解(2022)", "4.0"),
    ("专业课", "合并财务报表的编制及实务案例讲解(2023)", "4.0"),
    ("专业课", "研发加计扣除全流程 税务风险推送与管理要点(2024)", "3.0"),
    ("专业课", "企业会计准则建设与实施(2024)", "4.0"),
    ("专业课", "研发费用规范化管理与核算(2024)", "2.5"),
    ("专业课", "新会计法解读(2024)", "4.0"),
    ("专业课", "数据治理与管理会计(2024)", "4.0"),
    ("专业课", "财务舞弊识别与应对培训班(2023)", "5.0"),
    ("专业课", "企业内部控制评价及审计(2025)", "8.0"),
    ("专业课", "上市公司商誉审计及风险应对(2023)", "4.0"),
    ("思政", "宪法案例选编(2021)", "1.0"),
    ("思政", "2024年新公司法重点问题解读(2024)", "3.0"),
]
_n = [0]


def person(session, person_type=PersonType.CPA, firm=None):
    p = Person(person_type=person_type, name="张三", status=PersonStatus.ACTIVE,
               firm_id=firm.id if firm else None)
    session.add(p)
    session.commit()  # a refused command rolls back what is not committed
    return p


def give(session, p, category, delivery, amount, year=2025, title="课程"):
    _n[0] += 1
    return hours.credit(None, NOW, source_kind="import", source_id=f"t:{_n[0]}", person_id=p.id,
                        year=year, title=title, category=category, delivery=delivery,
                        hours=amount, obtained_at=dt.date(year, 7, 1))


def sql_row(session, p, year=2025):
    sel = hours.year_select(session, year).where(Person.id == p.id)
    return session.execute(sel).one()


def test_seed_example_46_5_fails_with_the_manuals_sentence(ctx):
    p = person(ctx)
    for category, title, amount in SEED_COURSES:
        give(ctx, p, category, "网络课程", amount, title=title)
    result = hours.person_year(ctx, p, 2025)
    assert result.sentence == ("您2025年继续教育未通过，已获46.5学时，其中面授课程0学时，"
                               "职业道德4.0学时，思政课程4.0学时。")
    assert result.obtained == Decimal("46.5") and result.counted == Decimal("24.0")
    assert result.reasons == ["有效学时不足40学时", "面授学时不足16学时"]
    row = sql_row(ctx, p)
    assert (Decimal(row.obtained), Decimal(row.counted), bool(row.passed)) == (
        Decimal("46.5"), Decimal("24.0"), False)


def test_passing_cpa(ctx):
    p = person(ctx)
    give(ctx, p, "专业课", "面授", "16")
    give(ctx, p, "职业道德", "网络课程", "4")
    give(ctx, p, "专业课", "网络课程", "20")
    result = hours.person_year(ctx, p, 2025)
    assert result.passed and result.reasons == []
    assert result.sentence.startswith("您2025年继续教育已通过，已获40.0学时，其中面授课程16.0学时")
    assert sql_row(ctx, p).passed


@pytest.mark.parametrize("records,reason", [
    ([("专业课", "面授", "16"), ("职业道德", "面授", "4"), ("专业课", "网络课程", "19.5")],
     "有效学时不足40学时"),
    ([("专业课", "执业机构内培", "15.5"), ("职业道德", "网络课程", "4"), ("专业课", "投入式", "30")],
     "面授学时不足16学时"),
    ([("专业课", "授课", "16"), ("职业道德", "面授(视同)", "3.9"), ("专业课", "投入式", "30")],
     "职业道德学时不足4学时"),
])
def test_each_rule_alone(ctx, records, reason):
    p = person(ctx)
    for record in records:
        give(ctx, p, *record)
    result = hours.person_year(ctx, p, 2025)
    assert result.reasons == [reason]
    assert not sql_row(ctx, p).passed


def test_caps_online_and_output(ctx):
    p = person(ctx)
    give(ctx, p, "专业课", "网络课程", "30")
    give(ctx, p, "专业课", "产出式", "30")
    give(ctx, p, "职业道德", "面授", "16")
    result = hours.person_year(ctx, p, 2025)
    assert result.obtained == Decimal("76") and result.counted == Decimal("64")
    assert result.passed
    assert Decimal(sql_row(ctx, p).counted) == Decimal("64.0")


def test_sizheng_minimum_set_by_staff_and_requirement_rows(ctx):
    ctx.add(CpeRequirement(year=2025, person_type=PersonType.CPA, min_total=40,
                           min_face_to_face=16, min_input=0, min_ethics=4, min_sizheng=2,
                           cap_online=24, cap_output=24))
    p = person(ctx)
    give(ctx, p, "职业道德", "面授", "20")
    give(ctx, p, "专业课", "面授", "20")
    result = hours.person_year(ctx, p, 2025)
    assert result.reasons == ["思政学时不足2学时"]
    assert not sql_row(ctx, p).passed
    assert hours.requirement_for(ctx, 2024, PersonType.CPA) == hours.DEFAULTS[PersonType.CPA]


def test_exemptions_cpa_none_non_practicing_halved(ctx):
    cpa, member = person(ctx), person(ctx, PersonType.NON_PRACTICING)
    for p in (cpa, member):
        ctx.add(CpeExemption(person_id=p.id, year=2025, condition="境外连续6个月以上",
                             source_kind="application", source_id=f"e{p.id}", created_at=NOW))
    give(ctx, member, "专业课", "投入式", "8")
    give(ctx, member, "专业课", "网络课程", "12")
    assert hours.person_year(ctx, cpa, 2025).passed
    result = hours.person_year(ctx, member, 2025)
    assert result.passed and result.exempt
    assert sql_row(ctx, cpa).passed and sql_row(ctx, member).passed
    give(ctx, member, "专业课", "产出式", "1")  # output does not count as input-based
    withdrawn = hours.withdraw(None, NOW, "import", f"t:{_n[0] - 1}")  # the 12 online hours
    assert withdrawn
    result = hours.person_year(ctx, member, 2025)
    assert result.reasons == ["有效学时不足20学时"]


def test_non_practicing_input_minimum(ctx):
    # with the default caps the input minimum is implied by the total; a wider output cap
    # (staff's requirement row) makes it bite on its own
    ctx.add(CpeRequirement(year=2025, person_type=PersonType.NON_PRACTICING, min_total=40,
                           min_face_to_face=0, min_input=16, min_ethics=0, min_sizheng=0,
                           cap_online=24, cap_output=30))
    p = person(ctx, PersonType.NON_PRACTICING)
    give(ctx, p, "专业课", "产出式", "30")
    give(ctx, p, "专业课", "网络课程", "14")
    give(ctx, p, "专业课", "投入式", "1")
    result = hours.person_year(ctx, p, 2025)
    assert result.reasons == ["投入式及课程学时不足16学时"]
    assert not sql_row(ctx, p).passed


def test_credit_is_idempotent_and_withdraw_removes_exactly_its_hours(ctx):
    p = person(ctx)
    args = dict(source_kind="training_result", source_id="123", person_id=p.id, year=2025,
                title="培训班", category="专业课", delivery="面授", hours="8",
                obtained_at=dt.date(2025, 5, 1))
    first = hours.credit(None, NOW, **args)
    again = hours.credit(None, NOW, **args)
    assert first.id == again.id and ctx.query(HourRecord).count() == 1
    hours.credit(None, NOW, **{**args, "hours": "6.5"})
    assert ctx.query(HourRecord).count() == 1
    assert hours.person_year(ctx, p, 2025).obtained == Decimal("6.5")
    give(ctx, p, "专业课", "面授", "2")
    assert hours.withdraw(None, NOW, "training_result", "123")
    assert not hours.withdraw(None, NOW, "training_result", "123")
    assert hours.person_year(ctx, p, 2025).obtained == Decimal("2")


@pytest.mark.parametrize("value,message", [
    ("1.25", "学时须为数字，最多一位小数"), ("abc", "学时须为数字，最多一位小数"),
    ("0", "学时须大于0"), ("-2", "学时须大于0")])
def test_hours_validation(ctx, value, message):
    p = person(ctx)
    with pytest.raises(ValidationError) as error:
        give(ctx, p, "专业课", "面授", value)
    assert error.value.message == message


def test_category_and_delivery_validation_and_corrections(ctx, world):
    from flask_appbuilder.security.sqla.models import User

    staff = ctx.query(User).filter_by(username="staff1").one()
    p = person(ctx)
    with pytest.raises(ValidationError, match="分类须为"):
        give(ctx, p, "其他", "面授", "1")
    with pytest.raises(ValidationError, match="学时类型须为"):
        give(ctx, p, "专业课", "直播", "1")
    with pytest.raises(ValidationError, match="请填写更正原因"):
        hours.add_correction(staff, NOW, person_id=p.id, year=2025, title="更正",
                             category="专业课", delivery="面授", hours="-1",
                             obtained_at=dt.date(2025, 1, 1), reason=" ")
    give(ctx, p, "专业课", "面授", "3")
    hours.add_correction(staff, NOW, person_id=p.id, year=2025, title="更正", category="专业课",
                         delivery="面授", hours="-1", obtained_at=dt.date(2025, 1, 1),
                         reason="重复计入")
    assert hours.person_year(ctx, p, 2025).obtained == Decimal("2")


def test_sql_aggregate_matches_person_function_on_generated_cases(ctx):
    rng = random.Random(7)
    firm = Firm(code="11019999", name="学时测试会计师事务所", status=FirmStatus.ACTIVE)
    ctx.add(firm)
    ctx.flush()
    people = []
    for i in range(60):
        p = person(ctx, rng.choice(PersonType.ALL), firm if i % 2 else None)
        people.append(p)
        if rng.random() < 0.2:
            ctx.add(CpeExemption(person_id=p.id, year=2025, condition="产假", created_at=NOW,
                                 source_kind="application", source_id=f"g{p.id}"))
        for _ in range(rng.randrange(0, 12)):
            give(ctx, p, rng.choice(("专业课", "职业道德", "思政")),
                 rng.choice(("网络课程", "面授", "执业机构内培", "授课", "面授(视同)", "投入式", "产出式")),
                 f"{rng.randrange(1, 120) / 10:.1f}", year=rng.choice((2025, 2025, 2024)))
    rows = {r.person_id: r for r in ctx.execute(hours.year_select(ctx, 2025))}
    passed_in_firm = 0
    for p in people:
        expected = hours.person_year(ctx, p, 2025)
        row = rows[p.id]
        assert (Decimal(row.obtained), Decimal(row.counted), Decimal(row.face_to_face),
                Decimal(row.ethics), Decimal(row.sizheng), bool(row.passed)) == (
            expected.obtained, expected.counted, expected.face_to_face, expected.ethics,
            expected.sizheng, expected.passed), p.id
        passed_in_firm += bool(p.firm_id and expected.passed)
    summary = ctx.execute(hours.firm_summary(ctx, 2025)).all()
    firm_rows = [r for r in summary if r.firm_id == firm.id]
    assert sum(r.people for r in firm_rows) == 30
    assert sum(r.passed for r in firm_rows) == passed_in_firm


def test_only_the_institute_corrects_hours(ctx, world):
    """学时更正 is the institute's: the workflow refuses anyone else, whatever the view allows."""
    from flask_appbuilder.security.sqla.models import User

    from app.workflows.core.errors import ForbiddenError

    for login in ("P11010001", "110100010001"):
        actor = db.session.query(User).filter_by(username=login).one()
        with pytest.raises(ForbiddenError):
            hours.add_correction(actor, NOW, person_id=world.a_people[0], year=2026,
                                 title="更正", category="专业课", delivery="面授", hours="1",
                                 obtained_at=dt.date(2026, 1, 5), reason="测试")
    staff = db.session.query(User).filter_by(username="staff1").one()
    record = hours.add_correction(staff, NOW, person_id=world.a_people[0], year=2026,
                                  title="更正", category="专业课", delivery="面授", hours="1",
                                  obtained_at=dt.date(2026, 1, 5), reason="测试")
    assert record.source_kind == "manual" and record.created_by_id == staff.id


def _totals(session, year=None):
    from app.models.hours import HourYearTotal

    rows = session.query(HourYearTotal)
    if year is not None:
        rows = rows.filter_by(year=year)
    return {(t.person_id, t.year): (t.records, *(getattr(t, k) for k in HourYearTotal.SUMS))
            for t in rows if t.records}


def test_the_yearly_sums_follow_every_credit_change_and_withdrawal(ctx):
    """The ledger keeps HourYearTotal equal to the records' sums through credits, re-credits
    that move a record to another person, year, category or amount, and withdrawals."""
    rng = random.Random(11)
    people = [person(ctx, PersonType.CPA) for _ in range(6)]
    live = {}
    for step in range(160):
        action = rng.random()
        if live and action < 0.25:
            source = rng.choice(sorted(live))
            assert hours.withdraw(None, NOW, "import", source) is True
            del live[source]
            continue
        source = rng.choice(sorted(live)) if live and action < 0.5 else f"sum:{step}"
        year = rng.choice((2024, 2025))
        hours.credit(None, NOW, source_kind="import", source_id=source,
                     person_id=rng.choice(people).id, year=year, title="课程",
                     category=rng.choice(("专业课", "职业道德", "思政")),
                     delivery=rng.choice(("网络课程", "面授", "执业机构内培", "授课", "面授(视同)",
                                          "投入式", "产出式")),
                     hours=f"{rng.randrange(1, 200) / 10:.1f}", obtained_at=dt.date(year, 3, 1))
        live[source] = True
    kept = _totals(ctx)
    assert sum(v[0] for v in kept.values()) == len(live)
    hours.rebuild_totals(ctx)
    ctx.commit()
    assert _totals(ctx) == kept


def test_crediting_the_same_source_twice_moves_the_sums_once(ctx):
    p = person(ctx)
    for _ in range(3):
        give_fixed = hours.credit(None, NOW, source_kind="import", source_id="once", person_id=p.id,
                                  year=2025, title="课程", category="职业道德", delivery="面授",
                                  hours="4", obtained_at=dt.date(2025, 7, 1))
    assert give_fixed.hours == Decimal("4.0")
    # records, then total, online, output, face-to-face, ethics, 思政 in tenths of an hour
    assert _totals(ctx, 2025)[(p.id, 2025)] == (1, 40, 0, 0, 40, 40, 0)
    hours.withdraw(None, NOW, "import", "once")
    assert (p.id, 2025) not in _totals(ctx, 2025)
    assert hours.person_year(ctx, p, 2025).obtained == 0


def _entry(p, source, amount="2.0", year=2025, category="专业课", delivery="网络课程"):
    return dict(source_kind="import", source_id=source, person_id=p.id, year=year,
                title="课程", category=category, delivery=delivery, hours=amount,
                obtained_at=dt.date(year, 5, 1))


def test_credit_many_is_credit_for_a_batch(ctx):
    """The batch path (a daily job's) gives exactly what one credit per source gives: the
    same records and the same yearly sums, idempotent per source, a changed source
    re-credited, a source twice in the batch credited once."""
    from app.workflows.hours import ledger

    rng = random.Random(5)
    people = [person(ctx) for _ in range(4)]
    entries = [_entry(rng.choice(people), f"many:{n}", f"{rng.randrange(1, 80) / 10:.1f}",
                      year=rng.choice((2024, 2025)),
                      category=rng.choice(("专业课", "职业道德", "思政")),
                      delivery=rng.choice(("网络课程", "面授", "产出式")))
               for n in range(40)]
    ledger.credit_many(None, NOW, entries)
    kept = _totals(ctx)
    assert sum(v[0] for v in kept.values()) == 40 == ctx.query(HourRecord).count()
    hours.rebuild_totals(ctx)
    ctx.commit()
    assert _totals(ctx) == kept
    # again, with one source changed and one new source given twice
    changed = {**entries[0], "hours": "9.9"}
    ledger.credit_many(None, NOW, [*entries[1:], changed, _entry(people[0], "new"),
                                   _entry(people[0], "new")])
    assert ctx.query(HourRecord).count() == 41
    assert ctx.query(HourRecord).filter_by(source_id="many:0").one().hours == Decimal("9.9")
    kept = _totals(ctx)
    hours.rebuild_totals(ctx)
    ctx.commit()
    assert _totals(ctx) == kept


@pytest.mark.parametrize("change,message", [
    ({"hours": "1.25"}, "最多一位小数"), ({"category": "体育"}, "分类须为"),
    ({"person_id": 987654}, "人员不存在（987654）")])
def test_credit_many_refuses_the_whole_batch_naming_the_fault(ctx, change, message):
    from app.workflows.hours import ledger

    p = person(ctx)
    with pytest.raises(ValidationError, match=message):
        ledger.credit_many(None, NOW, [_entry(p, "ok"), {**_entry(p, "bad"), **change}])
    assert ctx.query(HourRecord).count() == 0 and _totals(ctx) == {}
