"""Issue 25 for the registry: who acts for a transfer (`__actors__`), the machine's permits
in its own words, one bulk decision with an outcome per request, and the person form
telling every mistake at once (page and REST)."""
import datetime as dt

import pytest

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Person, PersonTransfer, TransferStatus
from app.workflows.core.acting import acting_condition, acts_for
from app.workflows.core.decisions import DONE, REFUSED, TAKEN, decide_many
from app.workflows.core.errors import ForbiddenError
from app.workflows.registry import transfers
from tests.helpers import NOW
from tests.registry.test_api import _new_person, bearer
from tests.registry.test_registry_views import _person_form
from tests.roster.test_takeover import _give_account

LATER = NOW + dt.timedelta(hours=1)


def _user(ctx, username):
    return ctx.query(User).filter_by(username=username).one()


def _request(ctx, world, person_id):
    """Firm A's roster asks for one of B's people (as the import records it)."""
    transfer = PersonTransfer(
        person_id=person_id, from_firm_id=world.b.id, to_firm_id=world.a.id,
        requested_at=NOW, expires_at=NOW + transfers.TTL, status=TransferStatus.PENDING)
    ctx.add(transfer)
    ctx.flush()
    transfers.MACHINE.start(transfer, _user(ctx, world.a.admin), NOW, remark="名单列入")
    ctx.commit()
    return transfer


def test_the_person_itself_acts_for_its_transfer_and_no_firm_or_staff_does(ctx, app, world):
    person_id = world.b_people[1]
    login = _give_account(app, person_id)
    transfer = _request(ctx, world, person_id)
    person, staff = _user(ctx, login), _user(ctx, world.staff)
    a_admin, b_admin, member = (_user(ctx, u) for u in (world.a.admin, world.b.admin,
                                                       world.member))
    assert acts_for(person, transfer)
    for other in (staff, a_admin, b_admin, member):  # the firms involved, staff, another CPA
        assert not acts_for(other, transfer)
    for user, expected in ((person, [transfer.id]), (staff, []), (a_admin, []), (member, [])):
        ids = ctx.scalars(select(PersonTransfer.id).where(
            acting_condition(PersonTransfer, user))).all()
        assert ids == expected
    # the machine's 本人 is that rule, in the page's words
    with pytest.raises(ForbiddenError, match="只有本人可以确认转入"):
        transfers.MACHINE.check(transfer, "confirm", staff, LATER)


def test_the_permits_answer_in_the_machines_words(ctx, app, world):
    person_id = world.b_people[1]
    login = _give_account(app, person_id)
    transfer = _request(ctx, world, person_id)
    machine = transfers.MACHINE
    assert machine.permits(transfer, "decide", None, LATER)
    assert machine.refusal(transfer, "lapse", None, LATER).message == \
        "当前状态为“待确认”，不能记为已过期：尚在有效期内"
    late = NOW + transfers.TTL
    assert machine.refusal(transfer, "decide", None, late).message == \
        "当前状态为“待确认”，不能处理：申请已过期（30天内未处理）"
    assert transfers.effective_status(transfer, late) == TransferStatus.EXPIRED
    transfers.confirm(_user(ctx, login), LATER, transfer.id)
    done = ctx.get(PersonTransfer, transfer.id)
    assert machine.refusal(done, "decide", None, LATER).message == "当前状态为“已确认”，不能处理"
    assert transfers.effective_status(done, late) == TransferStatus.CONFIRMED
    assert machine.states_for("decide") == {TransferStatus.PENDING}


def test_a_bulk_approval_says_what_became_of_each_request(ctx, app, world):
    people = world.b_people
    logins = [_give_account(app, pk) for pk in people]
    first, second, third = (_request(ctx, world, pk) for pk in people)
    transfers.confirm(_user(ctx, logins[0]), LATER, first.id)  # the person decided first
    shown = {second.id: second.version - 1 if second.version > 1 else second.version + 5}
    names = {t.id: ctx.get(Person, t.person_id).name for t in (first, second, third)}
    staff = _user(ctx, world.staff)
    result = decide_many(staff, LATER, [first.id, second.id, third.id], transfers.approve,
                         versions=shown, describe=names.get, remark="电话确认")
    outcomes = {o.id: o for o in result.outcomes}
    assert outcomes[first.id].result == REFUSED
    assert "当前状态为“已确认”" in outcomes[first.id].message
    assert outcomes[second.id].result == TAKEN  # shown at another version
    assert outcomes[third.id].result == DONE
    ctx.expire_all()
    assert ctx.get(PersonTransfer, third.id).status == TransferStatus.APPROVED
    assert ctx.get(PersonTransfer, second.id).status == TransferStatus.PENDING
    assert result.as_json()["done"] == 1 and len(result.messages()) == 2
    assert result.messages()[0].startswith(names[first.id] + "：")


def test_the_staff_review_page_reports_each_selected_request(ctx, app, world, make_client):
    people = world.b_people[:2]
    logins = [_give_account(app, pk) for pk in people]
    first, second = (_request(ctx, world, pk) for pk in people)
    transfers.refuse(_user(ctx, logins[0]), LATER, first.id)
    name = ctx.get(Person, first.person_id).name
    staff = make_client()
    staff.login(world.staff)
    page = staff.post_form("/persontransferview/action_post", {
        "action": "approve", "rowid": [str(first.id), str(second.id)]},
        follow_redirects=True).get_data(as_text=True)
    assert "已批准 1 条转入申请" in page and f"{name}：当前状态为“已拒绝”" in page


def test_the_person_form_tells_every_mistake_at_once(app, world, client):
    client.login(world.staff)
    page = client.post_form("/personview/add", _person_form(
        name=" ", person_type="注册会计师"), follow_redirects=True).get_data(as_text=True)
    assert "请填写姓名" in page and "注册会计师须填写证书编号" in page
    http = app.test_client()
    headers = bearer(http, world.staff)
    response = http.post("/api/v1/person/", headers=headers, json=_new_person(
        name=" ", person_type="注册会计师", status="退休"))
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["errors"] == {"name": "请填写姓名", "status": "状态只能是：正常、撤销",
                              "cert_number": "注册会计师须填写证书编号"}
