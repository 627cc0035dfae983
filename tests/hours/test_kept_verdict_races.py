"""Two writers at once on PostgreSQL (READ COMMITTED): a credit and a requirement edit of the
same year, each committed while the other is in flight, in both orders, and a credit then an
exemption. The kept verdict then equals the verdict computed from scratch. Without the
year's advisory lock (verdicts.hold) the first case kept a stale verdict: the requirement
edit recomputed everyone from the sums it had read before the credit committed (counted 1.0
kept beside sums of 31.0; found by issue 28's read). The other two orders stayed right
without it and are kept as its guard: each writer waits for the other, none deadlocks.
SQLite lets one transaction write at a time, so the race cannot happen there."""
import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models.hours import CpeExemption, CpeRequirement
from app.models.registry import PersonType
from app.workflows import hours
from app.workflows.core.commands import command
from tests.helpers import NOW
from tests.hours.test_kept_verdict import ACTOR, _person, assert_kept


@command
def _credit(actor, now, person_id, amount, source, hold_open=None):
    """A command crediting `amount`; with `hold_open`, the transaction stays open (not
    committed) until the test lets it go."""
    hours.credit(actor, now, source_kind="import", source_id=source, person_id=person_id,
                 year=2025, title="课程", category="专业课", delivery="面授", hours=amount,
                 obtained_at=dt.date(2025, 7, 1))
    _keep_open(hold_open)


@command
def _lower_requirement(actor, now, to, hold_open=None):
    """What the staff's 学时要求设置 form writes: the year's CPA minimum lowered to `to`."""
    requirement = db.session.scalars(select(CpeRequirement).where(
        CpeRequirement.year == 2025, CpeRequirement.person_type == PersonType.CPA)).one()
    requirement.min_total = Decimal(to)
    db.session.flush()
    _keep_open(hold_open)


@command
def _exempt(actor, now, person_id, hold_open=None):
    """An exemption of 2025 granted (what a confirmed 免修 application writes)."""
    db.session.add(CpeExemption(person_id=person_id, year=2025, condition="产假",
                                created_at=now, source_kind="application", source_id="r1"))
    db.session.flush()
    _keep_open(hold_open)


def _keep_open(hold_open):
    if hold_open is not None:
        written, go = hold_open
        written.set()
        assert go.wait(timeout=30)


def _in_a_thread(app, work, *args, **kwargs):
    """`work(ACTOR, NOW, …)` in a thread of its own (its own session and connection);
    returns the thread and a list that receives its error, if any."""
    errors = []

    def run():
        with app.app_context():
            try:
                work(ACTOR, NOW, *args, **kwargs)
            except BaseException as error:  # reported by the test
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _waits_for_a_lock(seconds=10) -> bool:
    """Whether a backend of this database is waiting for a lock (within `seconds`)."""
    deadline = time.monotonic() + seconds
    with db.engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            if waiting:
                return True
            probe.rollback()
            time.sleep(0.05)
    return False


@pytest.mark.parametrize("first, second", [("credit", "requirement"), ("requirement", "credit"),
                                           ("credit", "exemption")])
def test_a_credit_and_a_change_of_the_rules_at_once_keep_the_right_verdict(app, ctx, first,
                                                                          second):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time: no concurrent writers")
    cpa = _person(ctx)
    ctx.add(CpeRequirement(year=2025, person_type=PersonType.CPA, min_total=40,
                           min_face_to_face=0, min_input=0, min_ethics=0, min_sizheng=0,
                           cap_online=24, cap_output=24))
    ctx.commit()
    _credit(ACTOR, NOW, cpa.id, "1.0", "k:start")
    assert not assert_kept(ctx, 2025)[cpa.id].passed
    # 30 hours against 40 (not passed), the requirement lowered to 20 (passed): the first
    # writer's transaction stays open while the second starts
    written, go = threading.Event(), threading.Event()
    writers = {"credit": (_credit, cpa.id, "30.0", "k:race"),
               "requirement": (_lower_requirement, 20), "exemption": (_exempt, cpa.id)}
    one, two = writers[first], writers[second]
    first_thread, first_errors = _in_a_thread(app, *one, hold_open=(written, go))
    assert written.wait(timeout=30), first_errors
    second_thread, second_errors = _in_a_thread(app, *two)
    try:
        assert _waits_for_a_lock(), "the second writer should wait for the first"
    finally:
        go.set()
        first_thread.join(timeout=30)
        second_thread.join(timeout=30)
    assert not first_thread.is_alive() and not second_thread.is_alive()
    assert not first_errors and not second_errors, (first_errors, second_errors)
    shown = assert_kept(ctx, 2025)
    assert shown[cpa.id].passed and Decimal(shown[cpa.id].counted) == Decimal("31.0")
    assert bool(shown[cpa.id].exempt) == ("exemption" in (first, second))
