"""The lifecycles the core itself runs (issue 25: no status comparison outside a machine):
the import batch and the outboxes ask their machines; a person's or firm's 正常 flag is read
by the one predicate. Rules only, no HTTP."""
import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.exc import IntegrityError

from app.models import (AuditLog, Firm, FirmStatus, ImportBatch, ImportStatus, OutboxMail,
                        OutboxSms, OutboxStatus, OutboxWechat, Person, PersonStatus,
                        PersonType)
from app.workflows.core import commands, outbox, standing
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.importing import batches
from app.workflows.core.scoping import SystemActor
from app.workflows.core.states import MACHINES, Machine, P, T
from tests.helpers import NOW

I = ImportStatus
O = OutboxStatus


def _user(ctx, username):
    return ctx.query(User).filter_by(username=username).one()


def _batch(status, expires_at=NOW + dt.timedelta(minutes=30)):
    return ImportBatch(token="t", kind="k", status=status, created_at=NOW, expires_at=expires_at)


# --- the import batch -------------------------------------------------------------------------

def test_only_a_previewed_batch_in_its_time_may_be_committed_and_each_state_says_why(ctx, world):
    staff = _user(ctx, world.staff)
    M = batches.MACHINE
    assert M.permits(_batch(I.PREVIEWED), "commit", staff, NOW)
    words = {I.COMMITTED: "该预览已正式导入，不能重复提交",
             I.PARSING: "文件还在检查中，请稍候",
             I.FAILED: "该预览不能导入（文件有误），请修正文件后重新上传",
             I.EXPIRED: "该预览不能导入（已失效），请修正文件后重新上传"}
    for state, message in words.items():
        batch = _batch(state)
        assert not M.permits(batch, "commit", staff, NOW)
        with pytest.raises(ValidationError) as refused:
            M.require(batch, "commit", staff, NOW)
        assert refused.value.message == message and refused.value.field is None
        assert batch.status == state  # asking changes nothing


def test_a_preview_past_its_time_may_be_expired_and_no_longer_committed(ctx, world):
    staff = _user(ctx, world.staff)
    M = batches.MACHINE
    fresh = _batch(I.PREVIEWED)
    stale = _batch(I.PREVIEWED, expires_at=NOW - dt.timedelta(seconds=1))
    assert not M.permits(fresh, "expire", staff, NOW) and M.permits(stale, "expire", staff, NOW)
    assert not M.permits(stale, "commit", staff, NOW)
    assert "预览已超过有效期" in M.refusal(stale, "commit", staff, NOW).message
    # a state that is not 待确认 never expires, however old
    assert not M.permits(_batch(I.COMMITTED, expires_at=NOW - dt.timedelta(days=1)), "expire",
                         staff, NOW)


def test_only_a_batch_being_checked_shows_progress_and_only_the_system_abandons_it(ctx, world):
    staff = _user(ctx, world.staff)
    M = batches.MACHINE
    for state in I.LABELS:
        batch = _batch(state)
        assert M.state_allows(batch, "check") is (state == I.PARSING)
        assert M.state_allows(batch, "commit") is (state == I.PREVIEWED)  # the 正式导入 form
        assert M.reached(batch, "commit") is (state == I.COMMITTED)
    parsing = _batch(I.PARSING)
    assert M.permits(parsing, "abandon", SystemActor("导入"), NOW)
    with pytest.raises(ForbiddenError, match="只有系统可以中断"):
        M.require(parsing, "abandon", staff, NOW)
    assert batches.CHECKING == [I.PARSING]  # what the worker's and the sweeper's SQL select


def test_a_summary_of_a_batch_being_checked_is_its_progress(ctx):
    parsing = _batch(I.PARSING)
    parsing.progress = 40
    summary = batches.summary_of(parsing)
    assert summary["progress"] == 40 and summary["errors"] == [] and summary["status"] == "解析中"
    failed = _batch(I.FAILED)
    failed.message = "文件不是xlsx"
    assert batches.summary_of(failed)["errors"][0]["message"] == "文件不是xlsx"


# --- the outboxes -----------------------------------------------------------------------------

def _row(model, status, claimed_minutes_ago=None):
    claimed = NOW - dt.timedelta(minutes=claimed_minutes_ago) if claimed_minutes_ago else None
    return model(status=status, claimed_at=claimed, attempts=3, next_attempt_at=NOW)


def test_staff_may_requeue_a_failed_or_a_stuck_row_and_nothing_else(ctx, world):
    staff, member = _user(ctx, world.staff), _user(ctx, world.member)
    for model in (OutboxMail, OutboxSms, OutboxWechat):
        M = outbox.MACHINE_OF[model]
        assert M.labels == O.LABELS and M.name == model.__tablename__
        assert M.permits(_row(model, O.FAILED), "requeue", staff, NOW)
        assert M.permits(_row(model, O.SENDING, 11), "requeue", staff, NOW)
        fresh = _row(model, O.SENDING, 9)
        assert "尚未确认是否送达" in M.refusal(fresh, "requeue", staff, NOW).message
        for state in (O.PENDING, O.SENT):
            assert not M.permits(_row(model, state), "requeue", staff, NOW)
        assert isinstance(M.refusal(_row(model, O.FAILED), "requeue", member, NOW),
                          ForbiddenError)
        assert outbox.is_stuck(_row(model, O.SENDING, 11), NOW)
        assert not outbox.is_stuck(fresh, NOW)
        assert not outbox.is_stuck(_row(model, O.FAILED, 60), NOW)  # not 发送中: not stuck


def test_requeue_moves_only_what_the_machine_permits_and_resets_the_attempts(ctx, world):
    staff, member = _user(ctx, world.staff), _user(ctx, world.member)
    rows = {state: _row(OutboxMail, state, minutes) for state, minutes in
            ((O.FAILED, None), (O.SENDING, 30), (O.SENT, 30), (O.PENDING, None))}
    fresh = _row(OutboxMail, O.SENDING, 1)
    assert outbox.requeue_rows([*rows.values(), fresh], member, NOW) == 0  # not staff
    assert outbox.requeue_rows([*rows.values(), fresh], staff, NOW) == 2
    assert rows[O.FAILED].status == O.PENDING and rows[O.SENDING].status == O.PENDING
    assert rows[O.FAILED].attempts == 0 and rows[O.FAILED].next_attempt_at == NOW
    assert (rows[O.SENT].status, fresh.status, rows[O.PENDING].attempts) == (O.SENT, O.SENDING, 3)


def test_a_run_steps_only_as_the_system_and_tallies_each_failed_attempt(ctx, world):
    staff = _user(ctx, world.staff)
    M, system = outbox.MACHINE_OF[OutboxSms], SystemActor("定时任务")
    sending = _row(OutboxSms, O.SENDING, 1)
    for event in ("sent", "retry", "fail"):
        assert M.permits(sending, event, system, NOW)
        assert not M.permits(sending, event, staff, NOW)
    assert M.permits(_row(OutboxSms, O.PENDING), "claim", system, NOW)
    assert outbox.TARGET == {"claim": O.SENDING, "sent": O.SENT, "retry": O.PENDING,
                             "fail": O.FAILED, "requeue": O.PENDING}
    counts = {}
    for event in ("retry", "fail", "retry"):
        outbox.count(counts, event)
    assert counts == {"retry": 2, "failed": 1}


# --- the machine's own words ------------------------------------------------------------------

def test_a_machine_words_a_refusal_per_state_and_refuses_a_bad_declaration():
    S = ImportStatus
    machine = Machine("lifecycle_test", ImportBatch, [
        T("go", S.PARSING, S.PREVIEWED, "继续", refused={S.FAILED: "已失败，不能继续"}),
        T("drop", S.PARSING, S.FAILED, "放弃"),
    ], permits=[P("look", S.PREVIEWED, "查看", refused={S.PARSING: "还在检查"})],
        labels=S.LABELS)
    MACHINES.pop("lifecycle_test")
    actor = SystemActor()
    assert machine.refusal(_batch(S.FAILED), "go", actor, NOW).message == "已失败，不能继续"
    assert machine.refusal(_batch(S.PREVIEWED), "go", actor, NOW).message == \
        "当前状态为“待确认”，不能继续"
    assert machine.refusal(_batch(S.PARSING), "look", actor, NOW).message == "还在检查"
    with pytest.raises(ValueError, match="no action"):
        machine.state_allows(_batch(S.PARSING), "fly")
    with pytest.raises(ValueError, match="name of a transition"):
        Machine("lifecycle_bad", ImportBatch, [T("go", S.PARSING, S.PREVIEWED, "继续")],
                permits=[P("go", S.PARSING, "继续")], labels=S.LABELS)
    with pytest.raises(ValueError, match="does not have"):
        Machine("lifecycle_bad", ImportBatch, [
            T("go", S.PARSING, S.PREVIEWED, "继续", refused={"nowhere": "?"})], labels=S.LABELS)
    MACHINES.pop("lifecycle_bad", None)


# --- 正常 or not -------------------------------------------------------------------------------

def test_standing_reads_the_flag_of_a_person_and_of_a_firm():
    assert standing.active(Person(person_type=PersonType.CPA, status=PersonStatus.ACTIVE))
    assert not standing.active(Person(person_type=PersonType.CPA, status=PersonStatus.REVOKED))
    assert standing.active(Firm(code="11000001", name="甲", status=FirmStatus.ACTIVE))
    assert not standing.active(Firm(code="11000002", name="乙", status=FirmStatus.CLOSED))


# --- rows a tool writes itself (demo seed, the permission sync) --------------------------------

def test_save_commits_what_was_written_outside_a_command_in_the_actors_name(ctx):
    ctx.add(Firm(code="11999991", name="保存测试会计师事务所", status=FirmStatus.ACTIVE))
    commands.save(SystemActor("系统（演示数据）"), NOW)
    ctx.rollback()  # nothing left to roll back: it was saved
    firm = ctx.query(Firm).filter_by(code="11999991").one()
    logged = ctx.query(AuditLog).filter_by(entity="firm", entity_id=str(firm.id)).one()
    assert (logged.action, logged.username) == ("create", "系统（演示数据）")
    ctx.add(Firm(code="11999991", name="重复的事务所", status=FirmStatus.ACTIVE))
    with pytest.raises(IntegrityError):
        commands.save(SystemActor("系统（演示数据）"), NOW)
    assert ctx.query(Firm).filter_by(name="重复的事务所").count() == 0  # rolled back
    ctx.delete(firm)
    commands.save(SystemActor("系统（演示数据）"), NOW)
