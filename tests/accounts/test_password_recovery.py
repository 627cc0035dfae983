"""找回密码 (a one-time code mailed to the bound address) and 重置密码 by staff."""
import datetime as dt
import re

import pytest
from flask_appbuilder.security.sqla.models import User

import config
from app.extensions import db
from app.models import OutboxMail, PasswordResetCode
from app.roles import MEMBER
from app.workflows.accounts import recovery
from app.workflows.core.errors import ForbiddenError, NotFoundError, ValidationError
from tests.helpers import NOW, PASSWORD, make_user

CODE_RE = re.compile(r"验证码为：(\d{6})")
EMAIL = "zhang1@example.com"
NEW = "Newpass2027"


def _user(username):
    return db.session.query(User).filter_by(username=username).one()


def _bind(app, username, email=EMAIL):
    with app.app_context():
        _user(username).account.notify_email = email
        db.session.commit()


def _codes_mailed(app, address=EMAIL):
    with app.app_context():
        return [CODE_RE.search(m.body).group(1) for m in
                db.session.query(OutboxMail).filter_by(to_addr=address).order_by(OutboxMail.id)
                if CODE_RE.search(m.body)]


def _other(code):
    return "000000" if code != "000000" else "111111"


def _request(client, login):
    return client.post_form("/forgot-password/", {"login": login})


def _reset(client, login, code, new=NEW, repeat=None):
    return client.post_form("/forgot-password/reset/", {
        "login": login, "code": code, "new_password": new,
        "repeat": new if repeat is None else repeat})


# --- through the pages --------------------------------------------------------------------

def test_login_page_links_to_password_recovery(client):
    html = client.get("/login/").get_data(as_text=True)
    assert "找回密码" in html and 'href="/forgot-password/"' in html
    assert "发送验证码" in client.get("/forgot-password/").get_data(as_text=True)


def test_a_mailed_code_resets_the_password_once(app, world, make_client):
    _bind(app, world.member)
    anonymous = make_client()
    response = _request(anonymous, world.member)
    assert response.status_code == 302 and "/forgot-password/reset/" in response.headers["Location"]
    (code,) = _codes_mailed(app)
    page = anonymous.get(response.headers["Location"]).get_data(as_text=True)
    assert "验证码已通过短信发送至登记的手机号、并发送至绑定的邮箱" in page

    response = _reset(anonymous, world.member, code)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    with app.app_context():
        user = _user(world.member)
        assert not user.account.must_change_password
        assert db.session.query(PasswordResetCode).filter_by(
            user_id=user.id, used_at=None).count() == 0
    person = make_client()
    assert person.login(world.member, PASSWORD).status_code == 302 and not person.signed_in
    person.login(world.member, NEW)
    assert person.signed_in
    # the same code does not work twice
    again = _reset(anonymous, world.member, code, new="Another2028")
    assert again.status_code == 400 and "验证码不正确或已失效" in again.get_data(as_text=True)
    person.logout()
    assert person.login(world.member, NEW).status_code == 302 and person.signed_in


def test_the_answer_is_the_same_for_unknown_and_unbound_accounts(app, world, make_client):
    _bind(app, world.member)
    answers = []
    # known+bound, unknown, with neither mobile nor address (staff)
    for login in (world.member, "no-such-login", world.staff):
        client = make_client()
        response = _request(client, login)
        follow = client.get(response.headers["Location"]).get_data(as_text=True)
        flashed = re.search(r"如果该账号已登记手机号或已绑定邮箱[^<]*", follow).group(0)
        answers.append((response.status_code, response.headers["Location"].split("?")[0],
                        flashed))
    assert answers[0] == answers[1] == answers[2]
    with app.app_context():
        assert db.session.query(OutboxMail).count() == 1  # only the bound account's
        assert db.session.query(OutboxMail).one().to_addr == EMAIL


def test_password_recovery_is_rate_limited_per_ip(app, world, client):
    assert config.Config.PASSWORD_RECOVERY_RATE_LIMIT == "5 per minute"
    limit = int(app.config["PASSWORD_RECOVERY_RATE_LIMIT"].split()[0])
    for attempt in range(limit):
        assert _request(client, "no-such-login").status_code == 302, attempt
    assert _request(client, "no-such-login").status_code == 429
    # entering codes has its own budget: no guessing a code from one address either
    for attempt in range(limit):
        assert _reset(client, "no-such-login", "123456").status_code == 400, attempt  # refused (a wrong code)
    assert _reset(client, "no-such-login", "123456").status_code == 429


def test_the_new_password_must_follow_the_policy_and_the_code_survives(app, world, client):
    _bind(app, world.member)
    _request(client, world.member)
    (code,) = _codes_mailed(app)
    weak = _reset(client, world.member, code, new="short1")
    assert "新密码至少8位" in weak.get_data(as_text=True)
    mismatch = _reset(client, world.member, code, repeat="Other2027x")
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    assert _reset(client, world.member, code).status_code == 302


def test_staff_reset_a_firm_admin_to_its_initial_password(app, world, make_client):
    staff = make_client()
    staff.login(world.staff)
    assert "重置密码" in staff.get("/firmview/list/").get_data(as_text=True)
    response = staff.post_form("/firmview/action_post",
                               {"action": "reset_password", "rowid": str(world.a.id)})
    assert response.status_code == 302
    admin = make_client()
    admin.login(world.a.admin, PASSWORD)
    assert not admin.signed_in
    admin.login(world.a.admin, world.a.code[-6:])
    assert admin.signed_in
    assert admin.get("/").headers["Location"].endswith("/account/first-login/")
    # firm B's admin was not touched
    other = make_client()
    assert other.login(world.b.admin, PASSWORD).status_code == 302 and other.signed_in


def _change_member_password(app, username):
    with app.app_context():
        from app.workflows import accounts

        accounts.change_password(_user(username), NOW, PASSWORD, "Changed2027", "Changed2027")


def test_staff_reset_a_person_to_the_initial_password(app, world, make_client):
    _change_member_password(app, world.member)
    staff = make_client()
    staff.login(world.staff)
    response = staff.post_form("/personview/action_post",
                               {"action": "reset_password", "rowid": str(world.a_people[0])})
    assert response.status_code == 302
    member = make_client()
    member.login(world.member, "Changed2027")
    assert not member.signed_in
    member.login(world.member, PASSWORD)  # the initial password
    assert member.signed_in
    assert member.get("/").headers["Location"].endswith("/account/first-login/")


def test_firm_admin_resets_its_own_people_but_never_another_firms(app, world, make_client):
    b_login = make_user(app, "110100020001", MEMBER, firm_id=world.b.id,
                        person_id=world.b_people[0])
    _change_member_password(app, world.member)
    _change_member_password(app, b_login)
    admin = make_client()
    admin.login(world.a.admin)
    foreign = admin.post_form("/personview/action_post",
                              {"action": "reset_password", "rowid": str(world.b_people[0])})
    assert foreign.status_code == 404
    assert admin.post_form(f"/personview/action/reset_password/{world.b_people[0]}") \
        .status_code == 404
    with app.app_context():
        user = _user(b_login)
        assert not user.account.must_change_password
    check = make_client()
    assert check.login(b_login, "Changed2027").status_code == 302 and check.signed_in
    # its own firm's person: allowed
    own = admin.post_form("/personview/action_post",
                          {"action": "reset_password", "rowid": str(world.a_people[0])})
    assert own.status_code == 302
    with app.app_context():
        assert _user(world.member).account.must_change_password
    # but not the firm row (its own admin account) nor, as a member, anyone
    admin.post_form("/firmview/action_post", {"action": "reset_password",
                                              "rowid": str(world.a.id)})
    with app.app_context():
        assert not _user(world.a.admin).account.must_change_password
    member = make_client()
    member.login(b_login, "Changed2027")
    member.post_form("/personview/action_post", {"action": "reset_password",
                                                 "rowid": str(world.b_people[0])})
    with app.app_context():
        assert not _user(b_login).account.must_change_password


# --- the workflow, with the clock passed in -----------------------------------------------

def _issue(app, world, at=NOW):
    recovery.request_code(recovery.ANONYMOUS, at, world.member)
    return _codes_mailed(app)[-1]


def test_a_code_expires_after_15_minutes(app, world, ctx):
    _user(world.member).account.notify_email = EMAIL
    db.session.commit()
    code = _issue(app, world)
    with pytest.raises(ValidationError, match="验证码不正确或已失效"):
        recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=15), world.member, code, NEW, NEW)
    code = _issue(app, world, NOW + dt.timedelta(minutes=20))
    recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=34, seconds=59), world.member, code, NEW, NEW)
    assert recovery.find_account(world.member).account.password_changed_at is not None


def test_wrong_codes_are_limited(app, world, ctx):
    _user(world.member).account.notify_email = EMAIL
    db.session.commit()
    code = _issue(app, world)
    for _ in range(5):
        with pytest.raises(ValidationError):
            recovery.reset_password(recovery.ANONYMOUS, NOW, world.member, _other(code), NEW, NEW)
    with pytest.raises(ValidationError, match="验证码不正确或已失效"):
        recovery.reset_password(recovery.ANONYMOUS, NOW, world.member, code, NEW, NEW)


def test_at_most_three_codes_per_account_per_hour_and_only_the_latest_works(app, world, ctx):
    _user(world.member).account.notify_email = EMAIL
    db.session.commit()
    for minute in range(4):
        recovery.request_code(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=minute), world.member)
    codes = _codes_mailed(app)
    assert len(codes) == 3
    if codes[0] != codes[2]:
        with pytest.raises(ValidationError):
            recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=5), world.member, codes[0], NEW, NEW)
    recovery.request_code(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=61), world.member)
    assert len(_codes_mailed(app)) == 4
    recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=62), world.member, _codes_mailed(app)[-1], NEW, NEW)


def test_unknown_or_unbound_accounts_get_no_mail(app, world, ctx):
    recovery.request_code(recovery.ANONYMOUS, NOW, "no-such-login")
    recovery.request_code(recovery.ANONYMOUS, NOW, world.staff)  # no address, no mobile
    assert db.session.query(OutboxMail).count() == 0
    assert db.session.query(PasswordResetCode).count() == 0
    with pytest.raises(ValidationError, match="验证码不正确或已失效"):
        recovery.reset_password(recovery.ANONYMOUS, NOW, "no-such-login", "123456", NEW, NEW)


def test_a_firm_admin_may_not_reset_another_firms_person(app, world, ctx):

    admin = _user(world.a.admin)
    with pytest.raises(NotFoundError):  # the scoped lookup: another firm's person is not there
        recovery.reset_person_account(admin, NOW, world.b_people[0])
    with pytest.raises(ForbiddenError):
        recovery.reset_firm_admin(admin, NOW, world.a.id)


# --- 找回密码 by a code texted to the registered mobile (issue 14) -------------------------
SMS_CODE_RE = re.compile(r"验证码：(\d{6})")


def _texted(app, mobile):
    from app.models import OutboxSms

    with app.app_context():
        return [m.body for m in db.session.query(OutboxSms).filter_by(to_mobile=mobile)
                .order_by(OutboxSms.id)]


def test_recovery_by_a_code_texted_to_the_registered_mobile_end_to_end(app, world, make_client):
    """A member with no bound address: the code goes through the SMS gateway's outbox."""
    anonymous = make_client()
    response = _request(anonymous, world.member)
    assert response.status_code == 302
    (body,) = _texted(app, "13800000001")  # 张一's 手机号 in the registry
    code = SMS_CODE_RE.search(body).group(1)
    assert world.member in body and "15分钟内有效" in body
    assert _codes_mailed(app) == []  # no address bound: no mail
    assert _reset(anonymous, world.member, _other(code)).status_code == 400  # wrong code: refused
    response = _reset(anonymous, world.member, code)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert anonymous.login(world.member, NEW).status_code == 302 and anonymous.signed_in
    assert "密码已通过找回密码重置" in _texted(app, "13800000001")[-1]  # the owner is told
    anonymous.logout()
    # single use
    assert _reset(make_client(), world.member, code, new="Other2028pass").status_code == 400


def test_a_firm_admin_recovers_through_the_contact_mobile(app, world, ctx):
    from app.models import Firm

    firm = db.session.get(Firm, world.a.id)
    recovery.request_code(recovery.ANONYMOUS, NOW, world.a.admin)
    db.session.commit()
    (body,) = _texted(app, firm.contact_phone)
    recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=1), world.a.admin,
                            SMS_CODE_RE.search(body).group(1), NEW, NEW)
    assert recovery.find_account(world.a.admin).account.password_changed_at is not None


def test_texted_codes_share_the_rate_limit_and_expiry(app, world, ctx):
    for minute in range(4):
        recovery.request_code(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=minute), world.member)
    db.session.commit()
    texts = _texted(app, "13800000001")
    assert len(texts) == 3  # at most three an hour
    code = SMS_CODE_RE.search(texts[-1]).group(1)
    with pytest.raises(ValidationError, match="验证码不正确或已失效"):
        recovery.reset_password(recovery.ANONYMOUS, NOW + dt.timedelta(minutes=18), world.member,
                                code, NEW, NEW)


def test_the_initial_password_is_no_proof_for_recovery(app, world, ctx):
    """Seed 004 §2's flow (account + initial password) stays refused."""
    recovery.request_code(recovery.ANONYMOUS, NOW, world.a.admin)
    db.session.commit()
    with pytest.raises(ValidationError, match="验证码不正确或已失效"):
        recovery.reset_password(recovery.ANONYMOUS, NOW, world.a.admin, world.a.code[-6:],
                                NEW, NEW)
