"""The platform without HTTP: scope declarations, commands, the state machine."""
import datetime as dt
import threading

import pytest
from flask_appbuilder.security.sqla.models import User

from app.models import TransferStatus
from app.extensions import db
from app.models import (AuditLog, Consultation, ConsultationReply, ConsultationStatus,
                        Person, PersonTransfer, Scope, StatusHistory)
from app.workflows import messages
from app.workflows.core import scoping
from app.workflows.core.commands import command
from app.workflows.core.errors import (ConflictError, ForbiddenError, NotFoundError,
                                       ValidationError)
from app.workflows.core.states import Guard, Machine, T, institute
from tests.helpers import NOW


def _user(ctx, username):
    return ctx.query(User).filter_by(username=username).one()


# --- scope declarations ------------------------------------------------------------------

def test_a_model_without_a_scope_stops_the_app_naming_it():
    class Undeclared:  # stands for a mapped class someone forgot to declare
        __name__ = "Undeclared"
        __tablename__ = "undeclared"

    with pytest.raises(scoping.ScopeDeclarationError, match="Undeclared.*没有声明行范围"):
        scoping.check_declarations([Undeclared])


def test_a_scope_path_that_does_not_resolve_stops_the_app(monkeypatch):
    monkeypatch.setattr(Person, "__scope__", Scope(firm="frim_id"))
    with pytest.raises(scoping.ScopeDeclarationError, match="frim_id"):
        scoping.check_declarations([Person])
    monkeypatch.setattr(ConsultationReply, "__scope__", Scope(firm="thread.firm_id"))
    with pytest.raises(scoping.ScopeDeclarationError, match="thread"):
        scoping.check_declarations([ConsultationReply])


def test_every_model_of_the_app_declares_a_scope(app):
    models = scoping.app_models(db.Model.registry)
    assert len(models) >= 20
    scoping.check_declarations(models)  # raises on the first that does not


def test_a_path_through_a_relationship_scopes_sql_and_one_row_alike(ctx, world):
    """A reply belongs to a thread that belongs to a firm: one declaration, two checks."""
    a_admin, b_admin = _user(ctx, world.a.admin), _user(ctx, world.b.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "甲所的问题")
    other = messages.start_consultation(b_admin, NOW, "其他", "乙所的问题")
    visible = set(ctx.scalars(scoping.scoped_select(ConsultationReply, a_admin)))
    assert {r.consultation_id for r in visible} == {thread.id}
    for reply in ctx.query(ConsultationReply):
        assert scoping.can_see(reply, a_admin) == (reply in visible)
    with pytest.raises(NotFoundError):
        scoping.get_scoped(ctx, ConsultationReply, other.replies[0].id, a_admin)


def test_the_scoped_lookup_refuses_ids_it_cannot_hold(ctx, world):
    staff = _user(ctx, world.staff)
    for pk in ("x", None, 2**40, -(2**40), "99999999999999999999"):
        with pytest.raises(NotFoundError):
            scoping.get_scoped(ctx, Person, pk, staff)


def test_a_members_new_rows_are_stamped_with_its_person(ctx, world):
    member = _user(ctx, world.member)
    row = Consultation(business_type="其他", subject="x", status=ConsultationStatus.AWAITING_INSTITUTE,
                       created_at=NOW, updated_at=NOW)
    scoping.enforce_owner(row, member)
    assert row.person_id == member.account.person_id
    stranger = Consultation(business_type="其他", subject="x", status=ConsultationStatus.AWAITING_INSTITUTE,
                            person_id=world.b_people[0], created_at=NOW, updated_at=NOW)
    with pytest.raises(ForbiddenError, match="他人名下"):
        scoping.enforce_owner(stranger, member)


# --- commands -------------------------------------------------------------------------------

def test_a_command_commits_on_success_and_attributes_the_audit_rows(ctx, world):
    staff = _user(ctx, world.staff)

    @command
    def rename(actor, now, person_id, name):
        ctx.get(Person, person_id).name = name

    rename(staff, NOW, world.a_people[1], "张二改")
    ctx.rollback()  # nothing pending: it was committed
    assert ctx.get(Person, world.a_people[1]).name == "张二改"
    row = ctx.query(AuditLog).filter_by(entity="person", entity_id=str(world.a_people[1]),
                                        action="update").one()
    assert row.username == world.staff


def test_a_command_that_refuses_leaves_nothing_half_saved(ctx, world):
    staff = _user(ctx, world.staff)

    @command
    def half(actor, now, person_id):
        ctx.get(Person, person_id).name = "半途"
        ctx.flush()
        raise ValidationError("第二步不合规则")

    with pytest.raises(ValidationError):
        half(staff, NOW, world.a_people[1])
    assert ctx.get(Person, world.a_people[1]).name == "张二"


def test_a_refusal_may_keep_what_it_records_and_nested_commands_commit_once(ctx, world):
    staff = _user(ctx, world.staff)
    commits = []
    from sqlalchemy import event

    event.listen(ctx(), "after_commit", lambda s: commits.append(1))

    @command
    def inner(actor, now, person_id):
        ctx.get(Person, person_id).position = "内层"

    @command
    def outer(actor, now, person_id):
        inner(actor, now, person_id)
        ctx.get(Person, person_id).name = "外层"

    outer(staff, NOW, world.a_people[2])
    assert len(commits) == 1 and ctx.get(Person, world.a_people[2]).position == "内层"

    @command
    def attempt(actor, now, person_id):
        ctx.get(Person, person_id).position = "记下的尝试"
        raise ValidationError("验证码不正确", keep_changes=True)

    with pytest.raises(ValidationError):
        attempt(staff, NOW, world.a_people[2])
    ctx.rollback()
    assert ctx.get(Person, world.a_people[2]).position == "记下的尝试"


# --- the state machine ----------------------------------------------------------------------

@pytest.fixture
def scratch_machines():
    """Machines a test declares are forgotten afterwards (MACHINES is process-wide)."""
    from app.workflows.core.states import MACHINES

    before = set(MACHINES)
    yield
    for name in set(MACHINES) - before:
        MACHINES.pop(name)


def test_fire_checks_source_who_guard_and_remark_and_writes_history(ctx, world,
                                                                     scratch_machines):
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    ready = Guard("has_reply", lambda item, actor, now: None if item.replies else "还没有内容")
    machine = Machine("test_consultation", Consultation, [
        T("hold", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER,
          "挂起", who=institute, guards=[ready], remark=True),
    ])
    with pytest.raises(ForbiddenError, match="当前状态为“待协会回复”，只有协会工作人员可以挂起"):
        machine.fire(thread, "hold", a_admin, NOW)
    with pytest.raises(ValidationError, match="挂起须填写原因"):
        machine.fire(thread, "hold", staff, NOW)
    with pytest.raises(ValidationError, match="没有名为"):
        machine.fire(thread, "nonsense", staff, NOW)
    assert [t.event for t in machine.allowed(thread, staff, NOW)] == ["hold"]
    assert machine.allowed(thread, a_admin, NOW) == []
    machine.fire(thread, "hold", staff, NOW + dt.timedelta(hours=1), remark="等材料")
    ctx.commit()
    history = machine.history(thread)
    assert [(h.from_state, h.to_state, h.event, h.actor_name, h.remark) for h in history] == [
        (ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER, "hold",
         staff.first_name, "等材料")]
    with pytest.raises(ValidationError, match="当前状态为“待用户回复”，不能挂起"):
        machine.fire(thread, "hold", staff, NOW)


def test_check_refuses_in_the_machines_words_and_changes_nothing(ctx, world, scratch_machines):
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    machine = Machine("test_check", Consultation, [
        T("hold", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER,
          "挂起", who=institute)])
    with pytest.raises(ForbiddenError, match="只有协会工作人员可以挂起"):
        machine.check(thread, "hold", a_admin, NOW)
    assert machine.check(thread, "hold", staff, NOW).target == ConsultationStatus.AWAITING_USER
    assert thread.status == ConsultationStatus.AWAITING_INSTITUTE and machine.history(thread) == []
    assert machine.states == (ConsultationStatus.AWAITING_INSTITUTE,
                              ConsultationStatus.AWAITING_USER)


def test_a_derived_state_is_a_table_on_the_machine(ctx, world, scratch_machines):
    """The first state whose test passes (the last is the default); its steps record their
    effect and a history row, and are refused in the machine's words."""
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    machine = Machine("test_derived", Consultation, [
        T("close", "进行中", "已关闭", "关闭", who=institute,
          effect=lambda item, now: setattr(item, "closed_at", now)),
    ], derived=[("已关闭", lambda item, now: item.closed_at is not None),
                ("已超时", lambda item, now: item.created_at < now - dt.timedelta(days=30)),
                ("进行中", None)])
    assert machine.states == ("已关闭", "已超时", "进行中") and machine.field is None
    assert machine.state(thread, NOW) == "进行中"
    assert machine.state(thread, NOW + dt.timedelta(days=31)) == "已超时"
    with pytest.raises(ValidationError, match="当前状态为“已超时”，不能关闭"):
        machine.fire(thread, "close", staff, NOW + dt.timedelta(days=31))
    machine.fire(thread, "close", staff, NOW + dt.timedelta(hours=1))
    assert thread.closed_at == NOW + dt.timedelta(hours=1)
    assert machine.state(thread, NOW + dt.timedelta(days=31)) == "已关闭"
    assert [(h.from_state, h.to_state) for h in machine.history(thread)] == [("进行中", "已关闭")]


def test_one_event_from_one_state_takes_the_first_transition_whose_guards_pass(
        ctx, world, scratch_machines):
    """审核通过 goes to 待预约 or 办理完成 by the case: guards choose among same-event rows."""
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    long_text = Guard("long", lambda item, actor, now: None if item.business_type == "长" else "不长")
    never = Guard("never", lambda item, actor, now: "永不")
    machine = Machine("test_split", Consultation, [
        T("go", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER, "前进",
          who=institute, guards=[long_text]),
        T("go", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.CLOSED, "前进",
          who=institute),
    ])
    assert machine.fire(thread, "go", staff, NOW).target == ConsultationStatus.CLOSED
    assert thread.status == ConsultationStatus.CLOSED
    ctx.rollback()
    blocked = Machine("test_blocked", Consultation, [
        T("go", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.AWAITING_USER, "前进",
          who=institute, guards=[long_text]),
        T("go", ConsultationStatus.AWAITING_INSTITUTE, ConsultationStatus.CLOSED, "前进",
          who=institute, guards=[never]),
    ])
    thread = messages.start_consultation(a_admin, NOW, "其他", "问二")
    with pytest.raises(ValidationError, match="不能前进：不长"):
        blocked.fire(thread, "go", staff, NOW)
    assert thread.status == ConsultationStatus.AWAITING_INSTITUTE


def test_two_reviewers_deciding_at_once_the_first_wins_the_second_is_told(app, world):
    """Optimistic locking (version_id_col), with two real connections."""
    from app.workflows.registry import transfers

    with app.app_context():
        transfer = PersonTransfer(person_id=world.b_people[1], from_firm_id=world.b.id,
                                  to_firm_id=world.a.id, requested_at=NOW,
                                  expires_at=NOW + dt.timedelta(days=30), status=TransferStatus.PENDING)
        db.session.add(transfer)
        db.session.commit()
        transfer_id = transfer.id
    loaded = threading.Barrier(2)
    outcomes = {}

    def decide(event):
        with app.app_context():
            staff = db.session.query(User).filter_by(username=world.staff).one()
            item = db.session.get(PersonTransfer, transfer_id)
            item.version  # loaded before the other commits
            loaded.wait()
            if event == "decline":
                loaded_again.wait()  # the approver commits first

            @command
            def act(actor, now):
                transfers.MACHINE.fire(item, event, actor, now, remark="审核")

            try:
                act(staff, NOW)
                outcomes[event] = "ok"
            except (ConflictError, ValidationError) as error:
                outcomes[event] = error
            finally:
                if event == "approve":
                    loaded_again.wait()
                db.session.remove()

    loaded_again = threading.Barrier(2)
    threads = [threading.Thread(target=decide, args=(e,)) for e in ("approve", "decline")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes["approve"] == "ok"
    assert isinstance(outcomes["decline"], ConflictError), outcomes
    assert "已被他人处理" in outcomes["decline"].message
    with app.app_context():
        assert db.session.get(PersonTransfer, transfer_id).status == TransferStatus.APPROVED
        assert db.session.query(StatusHistory).filter_by(
            entity="person_transfer", entity_id=transfer_id).count() == 1


def test_history_is_readable_only_through_its_entity(ctx, world):
    """流程跟踪 rows are shown with their entity (whose scope is checked), never alone."""
    a_admin = _user(ctx, world.a.admin)
    messages.start_consultation(a_admin, NOW, "其他", "问")
    assert ctx.query(StatusHistory).count() >= 1
    assert ctx.scalars(scoping.scoped_select(StatusHistory, a_admin)).all() == []


# --- start-up: commands that serve no page ---------------------------------------------------

@pytest.mark.parametrize("argv, pages", [
    (["/x/.venv/bin/flask", "--app", "run.py", "jobs", "list"], False),
    (["flask", "--app", "run.py", "jobs", "run", "deliver_outbox"], False),
    (["flask", "-A", "run.py", "cpe", "year", "--person", "1", "--year", "2026"], False),
    (["flask", "--app", "run.py", "import", "hours", "f.xlsx"], False),
    (["flask", "--app", "run.py", "db", "upgrade"], True),  # syncs every view's permissions
    (["flask", "--app", "run.py", "fab", "list-views"], True),
    (["flask", "--app", "run.py", "demo", "seed"], True),
    (["flask", "--app", "run.py", "routes"], True),
    (["/x/bin/gunicorn", "run:app"], True),
    (["waitress-serve", "--port=8080", "run:app"], True),
    ([], True),
])
def test_only_the_commands_that_serve_no_page_start_without_views(argv, pages):
    from app import pages_needed

    assert pages_needed(argv) is pages


def test_a_pageless_app_runs_the_commands_and_serves_no_page(app, test_config, world):
    """The app `flask jobs|cpe|import|export` get: same models, jobs and commands, no views."""
    from app import create_app

    headless = create_app(test_config, pages=False)
    endpoints = {rule.endpoint for rule in headless.url_map.iter_rules()}
    assert "PersonView.list" not in endpoints and "HourRecordApi.get_list" not in endpoints
    assert "PersonView.list" in {rule.endpoint for rule in app.url_map.iter_rules()}
    runner = headless.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "deliver_outbox" in listed.output
    year = runner.invoke(args=["cpe", "year", "--person", "110100010001", "--year", "2026"])
    assert year.exit_code == 0 and '"sentence"' in year.output
    imported = runner.invoke(args=["import", "hours", "/nonexistent.xlsx"])
    assert imported.exit_code != 0 and "Traceback" not in imported.output
