"""Security issue 1: a firm cannot take over another firm's member through the roster import.

The exploit as reported: firm A uploads its roster plus one line with the mobile of a
person of firm B who had already changed the initial password; the preview said 更新 1人,
正式导入 moved the person and its account to A, and A's 重置密码 (initial password = the
mobile's last 6 digits) let A sign in as that person. Each step is refused below; the
legitimate move (the person confirms) still works, for every person type.
"""
import datetime as dt
import json

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import (Account, Message, OutboxSms, Person, PersonTransfer, PersonType,
                        TransferStatus)
from app.passwords import hash_password
from app.roles import MEMBER
from app.workflows import accounts
from app.workflows.accounts import recovery
from app.workflows import staff_list
from app.workflows.registry import transfers
from app.workflows.core.errors import ForbiddenError, NotFoundError
from tests.helpers import NOW, id_number
from tests.xlsx import xlsx

LATER = NOW + dt.timedelta(hours=1)
B_MOBILE = "13900000002"  # world.b_people[1]: 李二, 其他从业人员 of firm B
OWN_PASSWORD = "LiEr2026pass"


def _give_account(app, person_id, *, changed_at=NOW - dt.timedelta(days=60), username=None):
    """A kj account for the person; by default it changed its password two months ago."""
    with app.app_context():
        person = db.session.get(Person, person_id)
        user = accounts.create_account(
            username=username or accounts.staff_login(person.phone), display_name=person.name,
            role_name=MEMBER, password=person.phone[-6:], now=NOW, firm=person.firm,
            person=person)
        if changed_at is not None:
            user.password = hash_password(OWN_PASSWORD)
            user.account.must_change_password = False
            user.account.password_changed_at = changed_at
        db.session.commit()
        return user.username


def _roster_of_a(extra_rows=()):
    """Firm A's whole list (nobody of A is revoked), plus the rows under test."""
    return xlsx([["张一", "13800000001", id_number(1), "注册会计师", "合伙人"],
                 ["张二", "13800000002", id_number(2), "其他从业人员", "审计员"],
                 ["张三", "13800000003", id_number(3), "其他从业人员", "助理"],
                 *extra_rows])


def _state(app, person_id):
    with app.app_context():
        person = db.session.get(Person, person_id)
        account = db.session.get(Account, person.account.user_id) if person.account else None
        return {"firm_id": person.firm_id, "name": person.name, "position": person.position,
                "account_firm": account.firm_id if account else None}


def _commit(app, client, token):
    """正式导入 through the page; it must have gone through (else nothing is proven)."""
    from app.models import ImportBatch, ImportStatus

    response = client.post_form(f"/imports/commit/{token}")
    assert response.status_code == 302
    with app.app_context():
        batch = db.session.query(ImportBatch).filter_by(token=token).one()
        assert batch.status == ImportStatus.COMMITTED, batch.status


def _upload(client, data, name="名单.xlsx"):
    response = client.post_form("/imports/staff/", {"file": (__import__("io").BytesIO(data), name)},
                                content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    return token, client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_reported_takeover_fails_at_every_step(app, world, make_client):
    victim = world.b_people[1]
    victim_login = _give_account(app, victim)
    before = _state(app, victim)
    firm_a = make_client()
    firm_a.login(world.a.admin)
    # 1. the preview does not say 更新 and shows nothing of B's person
    token, page = _upload(firm_a, _roster_of_a([["冒名", B_MOBILE, None, "其他从业人员", ""]]))
    assert "李二" not in page and world.b.name not in page
    assert "转入待确认" in page and 'id="transfer-pending"' in page
    with app.app_context():
        from app.models import ImportBatch

        batch = db.session.query(ImportBatch).filter_by(token=token).one()
        summary, plan = json.loads(batch.summary), json.loads(batch.plan)
    # 更新 counts only A's own two people (who get their kj accounts), never B's
    assert {u["id"] for u in plan["update"]} == set(world.a_people[1:])
    assert summary["counts"]["转入待确认"] == 1 and summary["transfer_rows"] == [5]
    assert "李二" not in json.dumps(summary, ensure_ascii=False)
    # 2. 正式导入 does not move the person, rename it, clear its position or move its account
    _commit(app, firm_a, token)
    assert _state(app, victim) == before
    # 3. A cannot reach the person to reset its password, by the list or by its id
    assert "李二" not in firm_a.get("/staffrosterview/list/").get_data(as_text=True)
    reset = firm_a.post_form("/staffrosterview/action_post",
                             {"action": "reset_password", "rowid": str(victim)})
    assert reset.status_code == 404
    with app.app_context():
        actor = db.session.query(User).filter_by(username=world.a.admin).one()
        with pytest.raises(NotFoundError):  # not A's person: the scoped lookup finds nothing
            recovery.reset_person_account(actor, LATER, victim)
        db.session.rollback()
    # 4. so the initial password (the mobile's last 6 digits) does not sign A in as the person
    intruder = make_client()
    intruder.login(victim_login, B_MOBILE[-6:])
    assert not intruder.signed_in
    owner = make_client()
    owner.login(victim_login, OWN_PASSWORD)
    assert owner.signed_in


def test_the_preview_never_names_a_person_of_another_firm(app, world, make_client):
    firm_a = make_client()
    firm_a.login(world.a.admin)
    # a new mobile with B's 身份证号: the value is taken, whose is not said
    _token, page = _upload(firm_a, _roster_of_a([["某人", "13700000001", id_number(12),
                                                  "其他从业人员", ""]]))
    assert "李二" not in page and world.b.name not in page
    assert "身份证号已被登记" in page and "联系协会" in page
    # within the firm a clash may be named (it is the firm's own person)
    from tests.helpers import make_person

    make_person(app, world.a.id, "张四", phone="13800000004", serial=4)
    _token, page = _upload(firm_a, _roster_of_a([["某人", "13700000001", id_number(4),
                                                  "其他从业人员", ""]]))
    assert "身份证号已登记在本所“张四”名下" in page


@pytest.mark.parametrize("kind", ["other", "cpa", "institute_cpa", "non_practicing"])
def test_every_person_type_waits_for_consent_and_moves_when_the_person_confirms(
        app, world, make_client, kind):
    from tests.helpers import make_person

    if kind == "other":
        person_id, mobile = world.b_people[1], B_MOBILE
    elif kind == "cpa":
        person_id, mobile = world.b_people[0], "13900000001"
    elif kind == "institute_cpa":  # 协会代管: no firm at all
        mobile = "13600000009"
        person_id = make_person(app, None, "代管注师", person_type=PersonType.CPA, phone=mobile,
                                serial=99, cert_number="110000009999")
    else:
        mobile = "13600000008"
        person_id = make_person(app, world.b.id, "非执业", phone=mobile, serial=98,
                                person_type=PersonType.NON_PRACTICING, cert_number="210012345678")
    login = _give_account(app, person_id, username=f"u{kind}")
    before = _state(app, person_id)
    typed = PersonType.CPA if kind in ("cpa", "institute_cpa") else PersonType.OTHER
    firm_a = make_client()
    firm_a.login(world.a.admin)
    token, page = _upload(firm_a, _roster_of_a([["新同事", mobile, None, typed, "项目经理"]]))
    assert "转入待确认" in page
    _commit(app, firm_a, token)
    assert _state(app, person_id) == before
    # the person is told (system message and SMS) and confirms after signing in
    with app.app_context():
        user = db.session.query(User).filter_by(username=login).one()
        assert db.session.query(Message).filter_by(user_id=user.id).filter(
            Message.title.contains("人员转入确认")).count() == 1
        assert db.session.query(OutboxSms).filter_by(to_mobile=mobile).count() == 1
        transfer_id = db.session.query(PersonTransfer).filter_by(person_id=person_id).one().id
    person = make_client()
    person.login(login, OWN_PASSWORD)
    page = person.get("/transfers/").get_data(as_text=True)
    assert world.a.name in page and "确认转入" in page
    assert person.post_form(f"/transfers/{transfer_id}/confirm").status_code == 302
    after = _state(app, person_id)
    assert after["firm_id"] == world.a.id and after["account_firm"] == world.a.id
    assert after["name"] == before["name"] and after["position"] == "项目经理"
    with app.app_context():
        if before["firm_id"] is not None:  # the old firm hears of it
            old_admin = db.session.query(User).filter_by(username=world.b.admin).one()
            assert db.session.query(Message).filter_by(user_id=old_admin.id).filter(
                Message.title.contains("人员转出")).count() == 1
        # the new firm may not reset its password for 30 days
        actor = db.session.query(User).filter_by(username=world.a.admin).one()
        with pytest.raises(ForbiddenError, match="30天"):
            recovery.reset_person_account(actor, dt.datetime.now(dt.timezone.utc), person_id)
        db.session.rollback()


def test_a_password_set_after_the_request_cannot_confirm_but_staff_can_approve(ctx, app, world):
    """Whoever knows the derivable initial password could set a new one and confirm:
    only a password chosen before the request counts; otherwise staff decide."""
    person_id = world.b_people[1]
    login = _give_account(app, person_id, changed_at=None)  # still the initial password
    a_admin = ctx.query(User).filter_by(username=world.a.admin).one()
    batch = staff_list.preview(a_admin, NOW, ctx.get(Person, world.a_people[0]).firm, "a.xlsx",
                                 _roster_of_a([["李二", B_MOBILE, None, "其他从业人员", ""]]))
    staff_list.commit(a_admin, NOW, batch.token)
    transfer = ctx.query(PersonTransfer).filter_by(person_id=person_id).one()
    user = ctx.query(User).filter_by(username=login).one()
    accounts.set_new_password(user, "Brand2026new", "Brand2026new", LATER)  # after the request
    ctx.commit()
    assert not transfers.can_confirm_itself(user, transfer)
    with pytest.raises(ForbiddenError, match="协会审核"):
        transfers.confirm(user, LATER, transfer.id)
    assert ctx.get(Person, person_id).firm_id == world.b.id
    staff = ctx.query(User).filter_by(username=world.staff).one()
    transfers.approve(staff, LATER, transfer.id, "本人电话确认")
    ctx.commit()
    assert ctx.get(Person, person_id).firm_id == world.a.id
    assert ctx.get(PersonTransfer, transfer.id).status == TransferStatus.APPROVED


def test_refusal_or_expiry_leaves_the_person_where_it_was(ctx, app, world):
    person_id = world.b_people[1]
    login = _give_account(app, person_id)
    a_admin = ctx.query(User).filter_by(username=world.a.admin).one()
    firm_a = ctx.get(Person, world.a_people[0]).firm
    rows = _roster_of_a([["李二", B_MOBILE, None, "其他从业人员", ""]])
    staff_list.commit(a_admin, NOW, staff_list.preview(a_admin, NOW, firm_a, "a.xlsx",
                                                           rows).token)
    user = ctx.query(User).filter_by(username=login).one()
    first = ctx.query(PersonTransfer).filter_by(person_id=person_id).one()
    transfers.refuse(user, LATER, first.id)
    ctx.commit()
    assert ctx.get(Person, person_id).firm_id == world.b.id
    assert ctx.query(Message).filter(Message.title.contains("未被确认")).count() == 1
    assert "139****0002" in ctx.query(Message).filter(
        Message.title.contains("未被确认")).one().body
    # listed again, then 31 days pass: the request has expired, whatever the job did
    staff_list.commit(a_admin, LATER, staff_list.preview(a_admin, LATER, firm_a, "a.xlsx",
                                                             rows).token)
    second = ctx.query(PersonTransfer).filter_by(person_id=person_id,
                                                 status=TransferStatus.PENDING).one()
    late = LATER + dt.timedelta(days=31)
    assert transfers.effective_status(second, late) == TransferStatus.EXPIRED
    with pytest.raises(Exception, match="已过期"):
        transfers.confirm(user, late, second.id)
    assert transfers.pending_for(user, late) == []
    assert ctx.get(Person, person_id).firm_id == world.b.id


def test_a_person_only_decides_its_own_requests(ctx, app, world):
    person_id = world.b_people[1]
    _give_account(app, person_id)
    a_admin = ctx.query(User).filter_by(username=world.a.admin).one()
    firm_a = ctx.get(Person, world.a_people[0]).firm
    staff_list.commit(a_admin, NOW, staff_list.preview(
        a_admin, NOW, firm_a, "a.xlsx",
        _roster_of_a([["李二", B_MOBILE, None, "其他从业人员", ""]])).token)
    transfer = ctx.query(PersonTransfer).filter_by(person_id=person_id).one()
    other = ctx.query(User).filter_by(username=world.member).one()  # A's CPA
    for call in (transfers.confirm, transfers.refuse):
        with pytest.raises(NotFoundError):
            call(other, LATER, transfer.id)
    with pytest.raises(NotFoundError):  # the listing firm cannot even see the request
        transfers.approve(a_admin, LATER, transfer.id)


def test_firm_admin_reset_is_refused_for_self_managed_people_off_the_roster(ctx, app, world):
    """重置密码 never applies to a person who chose its own password and is not on the
    firm's roster; it always tells the person (message, SMS)."""
    from tests.helpers import make_person

    outsider = make_person(app, world.a.id, "名单外", phone="13800000099", serial=77)
    _give_account(app, outsider)
    with app.app_context():
        db.session.get(Person, outsider).imported_at = None  # entered by hand, not listed
        db.session.commit()
    actor = ctx.query(User).filter_by(username=world.a.admin).one()
    with pytest.raises(ForbiddenError, match="不在本所从业人员名单"):
        recovery.reset_person_account(actor, LATER, outsider)
    ctx.rollback()
    listed = world.a_people[1]
    login = _give_account(app, listed)
    recovery.reset_person_account(actor, LATER, listed)
    ctx.commit()
    user = ctx.query(User).filter_by(username=login).one()
    # back to the initial password, to be changed at the next sign-in
    assert accounts.verify_password(user, "000002") and user.account.must_change_password
    assert ctx.query(Message).filter_by(user_id=user.id, title="【账号安全】密码已重置").count() == 1
    assert ctx.query(OutboxSms).filter_by(to_mobile="13800000002").count() == 1


def test_staff_review_page_approves_a_pending_transfer(app, world, make_client):
    person_id = world.b_people[1]
    _give_account(app, person_id, changed_at=None)
    firm_a = make_client()
    firm_a.login(world.a.admin)
    token, _page = _upload(firm_a, _roster_of_a([["李二", B_MOBILE, None, "其他从业人员", ""]]))
    _commit(app, firm_a, token)
    with app.app_context():
        transfer_id = db.session.query(PersonTransfer).filter_by(person_id=person_id).one().id
    staff = make_client()
    staff.login(world.staff)
    page = staff.get("/persontransferview/list/").get_data(as_text=True)
    assert "李二" in page and world.a.name in page
    response = staff.post_form("/persontransferview/action_post",
                               {"action": "approve", "rowid": str(transfer_id)})
    assert response.status_code == 302
    assert _state(app, person_id)["firm_id"] == world.a.id
    # a firm admin has no access to the review list, and the person's page is the person's
    assert firm_a.get("/persontransferview/list/").status_code in (302, 403)
    assert firm_a.get("/transfers/").status_code in (302, 403)
