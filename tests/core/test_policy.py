"""The core's policy layer (issue 25): who acts for a row, what a state permits, hooks, one
bulk decision, one error mapping — each tested here without HTTP where it is a rule, and
through a real request where it is a response."""
import datetime as dt

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Actors, Consultation, ConsultationStatus, Person
from app.workflows import messages
from app.workflows.core import acting
from app.workflows.core.commands import command
from app.workflows.core.decisions import DONE, REFUSED, TAKEN, decide_many
from app.workflows.core.errors import (AlreadyDecided, FieldErrors, ForbiddenError, Problems,
                                       ValidationError, error_body)
from app.workflows.core.hooks import Hook, connect_all
from app.workflows.core.scoping import SystemActor
from app.workflows.core.states import Guard, Machine, P, T, acting as acting_who, institute
from tests.helpers import NOW

S = ConsultationStatus


def _user(ctx, username):
    return ctx.query(User).filter_by(username=username).one()


@pytest.fixture
def scratch_machines():
    from app.workflows.core.states import MACHINES

    before = set(MACHINES)
    yield
    for name in set(MACHINES) - before:
        MACHINES.pop(name)


@pytest.fixture
def declared(monkeypatch):
    """Consultations acted for as a registration case is: the firm files, a person without a
    firm files itself."""
    monkeypatch.setattr(Consultation, "__actors__", Actors(
        firm="firm_id", person="person_id", person_when_firmless=True), raising=False)


# --- who acts for a row ----------------------------------------------------------------------

def test_acts_for_answers_the_declaration_for_a_row_and_in_sql_alike(ctx, world, declared):
    staff, a_admin, b_admin = (_user(ctx, u) for u in (world.staff, world.a.admin,
                                                        world.b.admin))
    member = _user(ctx, world.member)
    a_person = ctx.get(Person, member.account.person_id)
    rows = [Consultation(status=S.AWAITING_INSTITUTE, firm_id=world.a.id, business_type="其他",
                         subject=f"甲{i}", person_id=a_person.id if i else None,
                         created_at=NOW, updated_at=NOW) for i in range(2)]
    rows.append(Consultation(status=S.AWAITING_INSTITUTE, firm_id=world.b.id,
                             business_type="其他", subject="乙", created_at=NOW, updated_at=NOW))
    # the member's own row without a firm: it acts for it; with its firm: the firm does
    rows.append(Consultation(status=S.AWAITING_INSTITUTE, firm_id=None, business_type="其他",
                             subject="本人", person_id=a_person.id, created_at=NOW,
                             updated_at=NOW))
    ctx.add_all(rows)
    ctx.flush()
    assert [acting.acts_for(a_admin, r) for r in rows] == [True, True, False, False]
    assert [acting.acts_for(b_admin, r) for r in rows] == [False, False, True, False]
    assert [acting.acts_for(member, r) for r in rows] == [False, False, False, True]
    assert [acting.acts_for(staff, r) for r in rows] == [False] * 4
    ids = {r.id for r in rows}
    for user in (staff, a_admin, b_admin, member):
        in_sql = set(ctx.scalars(select(Consultation.id).where(
            Consultation.id.in_(ids), acting.acting_condition(Consultation, user))))
        assert in_sql == {r.id for r in rows if acting.acts_for(user, r)}, user.username
    with pytest.raises(ForbiddenError, match="无权办理"):
        acting.require_acting(b_admin, rows[0])
    assert acting_who(a_admin, rows[0]) and not acting_who(member, rows[0])


def test_the_institute_acts_only_where_declared(ctx, world, monkeypatch):
    staff = _user(ctx, world.staff)
    row = Consultation(status=S.AWAITING_INSTITUTE, firm_id=world.a.id, business_type="其他",
                       subject="x")
    monkeypatch.setattr(Consultation, "__actors__", Actors(firm="firm_id"), raising=False)
    assert not acting.acts_for(staff, row)
    monkeypatch.setattr(Consultation, "__actors__", Actors(firm="firm_id", institute=True),
                        raising=False)
    assert acting.acts_for(staff, row) and acting.acts_for(SystemActor(), row)


def test_the_firm_acts_only_for_rows_of_no_person_where_declared(ctx, world, monkeypatch):
    """A member's own row (a 候补 entry) names its firm too, yet only the member acts for it;
    the firm acts for its rows that name no person — in Python and in SQL alike."""
    a_admin, member = _user(ctx, world.a.admin), _user(ctx, world.member)
    monkeypatch.setattr(Consultation, "__actors__", Actors(
        firm="firm_id", person="person_id", firm_when_personless=True), raising=False)
    rows = [Consultation(status=S.AWAITING_INSTITUTE, firm_id=world.a.id, business_type="其他",
                         subject=f"甲{i}", person_id=member.account.person_id if i else None,
                         created_at=NOW, updated_at=NOW) for i in range(2)]
    ctx.add_all(rows)
    ctx.flush()
    assert [acting.acts_for(a_admin, r) for r in rows] == [True, False]
    assert [acting.acts_for(member, r) for r in rows] == [False, True]
    ids = {r.id for r in rows}
    for user in (a_admin, member):
        in_sql = set(ctx.scalars(select(Consultation.id).where(
            Consultation.id.in_(ids), acting.acting_condition(Consultation, user))))
        assert in_sql == {r.id for r in rows if acting.acts_for(user, r)}, user.username


def test_an_actor_path_that_does_not_resolve_stops_the_app(monkeypatch):
    from app.workflows.core.scoping import ScopeDeclarationError

    monkeypatch.setattr(Consultation, "__actors__", Actors(firm="frim_id"), raising=False)
    with pytest.raises(ScopeDeclarationError, match="frim_id"):
        acting.check_actor_declarations([Consultation])


# --- what a state permits ----------------------------------------------------------------------

def test_permits_answer_state_who_and_guard_in_the_machines_words(ctx, world, scratch_machines,
                                                                   declared):
    staff, a_admin, b_admin = (_user(ctx, u) for u in (world.staff, world.a.admin,
                                                        world.b.admin))
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    short = Guard("short", lambda item, actor, now: "内容过长" if len(item.subject) > 3 else None)
    machine = Machine("test_permits", Consultation, [
        T("hold", S.AWAITING_INSTITUTE, S.AWAITING_USER, "挂起", who=institute),
    ], permits=[P("edit", S.AWAITING_INSTITUTE, "修改", who=acting_who, guards=[short])])
    assert machine.states_for("edit") == {S.AWAITING_INSTITUTE}
    assert machine.permits(thread, "edit", a_admin, NOW)
    assert machine.actions(thread, a_admin, NOW) == {"edit"}
    with pytest.raises(ForbiddenError, match="只有办理该事项的事务所或本人可以修改"):
        machine.require(thread, "edit", b_admin, NOW)
    thread.subject = "很长的问题"
    with pytest.raises(ValidationError, match="不能修改：内容过长"):
        machine.require(thread, "edit", a_admin, NOW)
    thread.subject = "问"
    machine.fire(thread, "hold", staff, NOW)
    with pytest.raises(ValidationError, match="当前状态为“待用户回复”，不能修改"):
        machine.require(thread, "edit", a_admin, NOW)
    assert machine.actions(thread, a_admin, NOW) == set()
    with pytest.raises(ValueError, match="no action"):
        machine.permits(thread, "delete", a_admin, NOW)
    with pytest.raises(ValueError, match="does not have"):
        Machine("test_bad_permit", Consultation, [
            T("hold", S.AWAITING_INSTITUTE, S.AWAITING_USER, "挂起")],
            permits=[P("edit", "不存在的状态", "修改")])


# --- hooks -------------------------------------------------------------------------------

def test_after_an_event_the_subscribers_run_in_the_same_transaction(ctx, world,
                                                                    scratch_machines):
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    thread = messages.start_consultation(a_admin, NOW, "其他", "问")
    machine = Machine("test_hooks", Consultation, [
        T("hold", S.AWAITING_INSTITUTE, S.AWAITING_USER, "挂起", who=institute),
        T("close", S.AWAITING_USER, S.CLOSED, "办结", who=institute),
    ])
    heard = []

    def note(item, actor, now):
        heard.append((item.id, item.status, actor.username, now))

    def refuse(item, actor, now):
        raise ValidationError("订阅者拒绝")

    connect_all([(machine.after("hold"), note), (machine.after("hold"), note)])
    assert machine.after("hold").subscribers == [note]  # connected once
    machine.fire(thread, "hold", staff, NOW)
    assert heard == [(thread.id, S.AWAITING_USER, staff.username, NOW)]

    @command
    def close(actor, now, pk):
        machine.fire(db.session.get(Consultation, pk), "close", actor, now)

    machine.after("close").connect(refuse)
    ctx.commit()
    with pytest.raises(ValidationError, match="订阅者拒绝"):
        close(staff, NOW, thread.id)
    ctx.expire_all()
    assert ctx.get(Consultation, thread.id).status == S.AWAITING_USER  # undone with it
    with pytest.raises(ValueError, match="no event"):
        machine.after("nonsense")
    with pytest.raises(TypeError):
        connect_all([("not a hook", note)])
    assert Hook("test.plain").send() is None


# --- one bulk decision ---------------------------------------------------------------------------

def test_a_bulk_decision_decides_each_row_alone_and_says_what_became_of_each(
        ctx, world, scratch_machines):
    staff, a_admin = _user(ctx, world.staff), _user(ctx, world.a.admin)
    threads = [messages.start_consultation(a_admin, NOW, "其他", f"问{i}") for i in range(4)]
    machine = Machine("test_bulk", Consultation, [
        T("hold", S.AWAITING_INSTITUTE, S.AWAITING_USER, "挂起", who=institute, remark=True)])

    @command
    def hold(actor, now, pk, remark=None, expected_version=None):
        item = db.session.get(Consultation, pk)
        if expected_version is not None and expected_version != 1:
            raise AlreadyDecided("该记录已被他人处理")
        machine.fire(item, "hold", actor, now, remark=remark)

    # threads[1] is decided by someone else first; threads[2] shown at an old version
    hold(staff, NOW, threads[1].id, remark="先处理")
    ids = [threads[0].id, threads[1].id, threads[2].id, "abc", threads[0].id, threads[3].id]
    result = decide_many(staff, NOW, ids, hold, remark="批量", versions={threads[2].id: 7},
                         describe=lambda pk: f"咨询 {pk}")
    assert [(o.id, o.result) for o in result.outcomes] == [
        (threads[0].id, DONE), (threads[1].id, REFUSED), (threads[2].id, TAKEN),
        ("abc", REFUSED), (threads[3].id, DONE)]
    assert "当前状态为“待用户回复”，不能挂起" in result.outcomes[1].message
    assert result.outcomes[0].label == f"咨询 {threads[0].id}"
    assert result.messages()[0].startswith(f"咨询 {threads[1].id}：")
    assert result.as_json()["done"] == 2 and result.as_json()["taken"] == 1
    ctx.expire_all()
    assert [ctx.get(Consultation, t.id).status for t in threads] == [
        S.AWAITING_USER, S.AWAITING_USER, S.AWAITING_INSTITUTE, S.AWAITING_USER]
    # a remark the transition requires is refused per row, and nothing stops
    again = decide_many(staff, NOW, [threads[2].id], hold)
    assert again.refused[0].message == "挂起须填写原因（备注）"

    @command
    def inside(actor, now):
        return decide_many(actor, now, [threads[2].id], hold)

    with pytest.raises(RuntimeError, match="outside a command"):
        inside(staff, NOW)


# --- one error mapping ---------------------------------------------------------------------------

def test_a_command_raises_every_field_error_at_once():
    problems = Problems()
    with problems.field("hours"):
        raise ValidationError("学时须为数字")
    with problems.field("title"):
        pass
    problems.add("title", "请填写标题")
    with pytest.raises(KeyError):
        with problems.field("x"):
            raise KeyError("not a validation error: passes through")
    with pytest.raises(FieldErrors) as raised:
        problems.raise_any()
    error = raised.value
    assert error.errors == [("hours", "学时须为数字"), ("title", "请填写标题")]
    assert error.field == "hours" and error.message == "学时须为数字；请填写标题"
    assert error_body(error) == {"message": "学时须为数字；请填写标题", "field": "hours",
                                 "errors": {"hours": "学时须为数字", "title": "请填写标题"}}
    one = Problems()
    one.add("title", "请填写标题")
    with pytest.raises(ValidationError) as single:
        one.raise_any()
    assert not isinstance(single.value, FieldErrors) and single.value.field == "title"
    Problems().raise_any()  # nothing collected: nothing raised


def test_the_app_answers_an_uncaught_refusal_as_json_with_its_fields_for_the_api(app):
    from flask import Blueprint

    from app.workflows.core.errors import NotFoundError

    probe = Blueprint("policy_probe", __name__)

    @probe.route("/api/v1/_policy_probe/<kind>")
    def api_probe(kind):
        if kind == "fields":
            raise FieldErrors([("year", "年度须为数字"), ("hours", "学时须为正数")])
        raise NotFoundError("学时申请不存在")

    @probe.route("/_policy_probe")
    def page_probe():
        raise ValidationError("年度须为数字", "year")

    if "policy_probe" not in app.blueprints:
        app.view_functions.pop("policy_probe.api_probe", None)
        # registering after the first request is refused by Flask: do it on a fresh setup flag
        app._got_first_request, was = False, app._got_first_request
        try:
            app.register_blueprint(probe)
        finally:
            app._got_first_request = was
    client = app.test_client()
    answer = client.get("/api/v1/_policy_probe/fields")
    assert answer.status_code == 400
    assert answer.get_json() == {"message": "年度须为数字；学时须为正数", "field": "year",
                                 "errors": {"year": "年度须为数字", "hours": "学时须为正数"}}
    missing = client.get("/api/v1/_policy_probe/none")
    assert missing.status_code == 404 and missing.get_json() == {"message": "学时申请不存在"}
    page = client.get("/_policy_probe")
    assert page.status_code == 400 and "年度须为数字" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"


def test_a_refused_form_is_drawn_again_with_its_fields_marked(app):
    """`refusals(form=…)`: the form method reads the refusal's fields (to mark them as the
    page did before), every message is flashed, the status is the error's."""
    from flask import get_flashed_messages

    from app.views.core.refusals import refusals, refused, refused_fields

    class Probe:
        def _form(self):
            return repr(sorted(refused_fields().items()))

        @refusals(form="_form")
        def save(self):
            raise FieldErrors([("old_password", "旧密码不正确"), ("repeat", "两次输入不一致"),
                               ("repeat", "再说一遍")])

    with app.test_request_context("/x", method="POST"):
        assert refused() is None and refused_fields() == {}
        response = Probe().save()
        assert response.status_code == 400
        assert response.get_data(as_text=True) == repr(
            [("old_password", ["旧密码不正确"]), ("repeat", ["两次输入不一致", "再说一遍"])])
        assert get_flashed_messages() == ["旧密码不正确", "两次输入不一致", "再说一遍"]


def test_a_page_past_the_last_answers_the_last_and_a_huge_one_never_reaches_sql(ctx, world):
    from flask import current_app

    from app.models import Firm
    from app.views.core.args import MAX_PAGE, paged

    firms = ctx.scalar(select(db.func.count(Firm.id)))
    query = select(Firm).order_by(Firm.id)
    for asked in ("999", str(10**30), "-5", "x"):
        with current_app.test_request_context(f"/?page={asked}"):
            page = paged(query, 1)
        assert page.total == firms and len(page.rows) == 1
        assert page.pages == firms
        assert page.page == (1 if asked in ("-5", "x") else firms)  # else: the last page
        assert page.offset == page.page - 1 < MAX_PAGE
