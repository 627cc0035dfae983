"""系统管理 → 设置 (seed 004 §10): 用户信息, the contact edit, and 邮箱绑定 with a mailed code."""
import datetime as dt
import re

import pytest
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Firm, OutboxMail
from app.workflows.accounts import settings
from app.workflows.core.errors import ForbiddenError, ValidationError
from tests.helpers import NOW

CODE_RE = re.compile(r"验证码为：(\d{6})")


def _user(username):
    return db.session.query(User).filter_by(username=username).one()


def _last_code(app, address):
    """The code in the newest mail queued to `address` (what the user reads)."""
    with app.app_context():
        mail = db.session.query(OutboxMail).filter_by(to_addr=address) \
            .order_by(OutboxMail.id.desc()).first()
        assert mail is not None, f"no mail to {address}"
        return CODE_RE.search(mail.body).group(1)


def _mails_to(app, address):
    with app.app_context():
        return db.session.query(OutboxMail).filter_by(to_addr=address).count()


def _bound(app, username):
    with app.app_context():
        return _user(username).account.notify_email


# --- 用户信息 ---------------------------------------------------------------------------

def test_firm_admin_sees_its_firm_and_edits_the_contact(app, world, client):
    client.login(world.a.admin)
    page = client.get("/settings/").get_data(as_text=True)
    assert world.a.name in page and world.a.code in page
    assert "联系人姓名" in page and "139" + world.a.code in page
    assert "/account/password/" in page and "/settings/contact/" in page
    response = client.post_form("/settings/contact/", {"contact_name": " 王 五 ",
                                                       "contact_phone": "13512345678"})
    assert response.status_code == 302
    with app.app_context():
        firm = db.session.get(Firm, world.a.id)
        assert (firm.contact_name, firm.contact_phone) == ("王 五", "13512345678")
    assert "13512345678" in client.get("/settings/").get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"contact_name": "", "contact_phone": "13512345678"}, "请填写联系人姓名"),
    ({"contact_name": "王五", "contact_phone": "1351234"}, "联系人手机号应为11位中国大陆手机号码"),
    ({"contact_name": "王" * 65, "contact_phone": "13512345678"}, "联系人姓名过长"),
])
def test_contact_edit_is_validated_in_chinese(app, world, client, form, message):
    client.login(world.a.admin)
    response = client.post_form("/settings/contact/", form)
    assert response.status_code == 400  # refused: the form again
    assert message in response.get_data(as_text=True)
    with app.app_context():
        firm = db.session.get(Firm, world.a.id)
        assert firm.contact_phone == "139" + world.a.code and firm.contact_name == "联系人"


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_and_staff_see_their_name_and_login_but_no_firm_contact(app, world,
                                                                          make_client, who):
    login = {"member": world.member, "staff": world.staff}[who]
    client = make_client()
    client.login(login)
    page = client.get("/settings/").get_data(as_text=True)
    assert "登录名" in page and login in page
    if who == "member":
        assert "张一" in page
    assert "联系人手机号" not in page and "/settings/contact/" not in page
    assert client.get("/settings/contact/").status_code == 404
    assert client.post_form("/settings/contact/", {"contact_name": "x",
                                                   "contact_phone": "13512345678"}).status_code == 404


def test_update_contact_workflow_names_the_field(app, world, ctx):
    admin = _user(world.a.admin)
    with pytest.raises(ValidationError) as error:
        settings.update_contact(admin, NOW, "王五", "023-1234")
    assert error.value.field == "contact_phone" and "联系人手机号" in error.value.message
    with pytest.raises(ValidationError) as error:
        settings.update_contact(admin, NOW, "  ", "13512345678")
    assert error.value.field == "contact_name"
    with pytest.raises(ForbiddenError):
        settings.update_contact(_user(world.member), NOW, "王五", "13512345678")
    settings.update_contact(admin, NOW, "王五", "135 1234 5678")
    assert db.session.get(Firm, world.a.id).contact_phone == "13512345678"


def test_every_role_has_settings_in_the_system_menu(app, world, make_client):
    for login in (world.a.admin, world.member, world.staff, world.admin):
        client = make_client()
        client.login(login)
        assert 'href="/settings/"' in client.get("/").get_data(as_text=True), login
        assert client.get("/settings/").status_code == 200


# --- 邮箱绑定 ---------------------------------------------------------------------------

def test_binding_an_email_needs_the_code_mailed_to_it(app, world, client):
    client.login(world.member)
    assert "还没有绑定邮箱" in client.get("/settings/").get_data(as_text=True)
    response = client.post_form("/settings/email/", {"email": " zhang1@example.com "})
    assert response.status_code == 302
    assert _mails_to(app, "zhang1@example.com") == 1
    code = _last_code(app, "zhang1@example.com")
    page = client.get("/settings/").get_data(as_text=True)
    assert "验证码已发送至 zhang1@example.com" in page
    assert _bound(app, world.member) is None  # not before the code

    wrong = "000000" if code != "000000" else "111111"
    response = client.post_form("/settings/email/confirm/", {"code": wrong})
    assert "验证码不正确" in response.get_data(as_text=True)
    assert _bound(app, world.member) is None

    response = client.post_form("/settings/email/confirm/", {"code": code})
    assert response.status_code == 302
    assert _bound(app, world.member) == "zhang1@example.com"
    page = client.get("/settings/").get_data(as_text=True)
    assert "已绑定邮箱" in page and "zhang1@example.com" in page
    # single use
    again = client.post_form("/settings/email/confirm/", {"code": code})
    assert "验证码已失效" in again.get_data(as_text=True)

    client.post_form("/settings/email/unbind/")
    assert _bound(app, world.member) is None


def test_bad_address_is_refused_in_chinese_and_nothing_is_mailed(app, world, client):
    client.login(world.a.admin)
    response = client.post_form("/settings/email/", {"email": "not-an-address"})
    assert "邮箱地址格式不正确" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(OutboxMail).count() == 0


def test_the_code_binds_the_address_it_was_sent_to_and_expires(app, world, ctx):
    user = _user(world.member)
    settings.request_email_binding(user, NOW, "old@example.com")
    settings.request_email_binding(user, NOW + dt.timedelta(minutes=1), "new@example.com")
    old_code = _last_code(app, "old@example.com")
    new_code = _last_code(app, "new@example.com")
    if old_code != new_code:  # a newer request retires the older code
        with pytest.raises(ValidationError):
            settings.confirm_email_binding(user, NOW + dt.timedelta(minutes=2), old_code)
    # 15 minutes after it was sent the code is dead
    late = NOW + dt.timedelta(minutes=16, seconds=1)
    with pytest.raises(ValidationError, match="验证码已失效"):
        settings.confirm_email_binding(user, late, new_code)
    assert user.account.notify_email is None
    settings.request_email_binding(user, late, "new@example.com")
    fresh = _last_code(app, "new@example.com")
    assert settings.confirm_email_binding(user, late + dt.timedelta(minutes=14), fresh) \
        == "new@example.com"
    assert user.account.notify_email == "new@example.com"


def test_wrong_binding_codes_are_limited(app, world, ctx):
    user = _user(world.member)
    settings.request_email_binding(user, NOW, "z@example.com")
    code = _last_code(app, "z@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationError, match="验证码不正确"):
            settings.confirm_email_binding(user, NOW, wrong)
    with pytest.raises(ValidationError, match="验证码已失效"):
        settings.confirm_email_binding(user, NOW, code)
    assert user.account.notify_email is None


def test_binding_codes_per_hour_are_limited(app, world, ctx):
    user = _user(world.member)
    for minute in range(5):
        settings.request_email_binding(user, NOW + dt.timedelta(minutes=minute), "z@example.com")
    with pytest.raises(ValidationError, match="过于频繁"):
        settings.request_email_binding(user, NOW + dt.timedelta(minutes=10), "z@example.com")
    assert _mails_to(app, "z@example.com") == 5
    settings.request_email_binding(user, NOW + dt.timedelta(minutes=61), "z@example.com")
    assert _mails_to(app, "z@example.com") == 6
