"""Every form of 设置 / 修改密码 / 补充信息 / 找回密码 tells all its mistakes at once: the
command collects them (Problems), the page shows each under its field and in the flash."""
import re

from tests.helpers import make_firm


def _marked(text, field):
    """The messages shown under `field` (the help-blocks of its has-error form group)."""
    for group in text.split('<div class="form-group')[1:]:
        if f'name="{field}"' in group:
            head = group.split(">", 1)[0]
            found = re.findall(r'<span class="help-block">([^<]*)</span>', group)
            return found if "has-error" in head else []
    return []


def test_change_password_shows_the_wrong_old_password_and_the_mismatch_at_once(world, client):
    client.login(world.a.admin)
    page = client.post_form("/account/password/", {
        "old_password": "not-mine-1", "new_password": "abc12345", "repeat": "abc99999"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "旧密码不正确" in text and "两次输入的新密码不一致" in text
    assert _marked(text, "old_password") == ["旧密码不正确"]
    assert _marked(text, "repeat") == ["两次输入的新密码不一致"]


def test_contact_edit_shows_both_fields_at_once(world, client):
    client.login(world.a.admin)
    page = client.post_form("/settings/contact/", {"contact_name": "", "contact_phone": "1351"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert _marked(text, "contact_name") == ["请填写联系人姓名"]
    assert _marked(text, "contact_phone") == ["联系人手机号应为11位中国大陆手机号码"]


def test_first_login_shows_the_contact_and_the_password_mistakes_at_once(app, client):
    firm = make_firm(app, "11010019", activated=False)
    client.login(firm.admin, "010019")
    page = client.post_form("/account/first-login/", {
        "contact_name": "", "contact_phone": "12345", "new_password": "short",
        "repeat": "short"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    for message in ("请填写联系人姓名", "联系人手机号应为11位中国大陆手机号码", "新密码至少8位"):
        assert message in text
    assert _marked(text, "contact_phone") == ["联系人手机号应为11位中国大陆手机号码"]
    assert client.get("/personview/list/").status_code == 302  # nothing saved


def test_password_recovery_asks_for_the_login_and_the_code_at_once(client):
    page = client.post_form("/forgot-password/reset/", {
        "login": "", "code": "", "new_password": "abc12345", "repeat": "abc12345"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert _marked(text, "login") == ["请填写账号"] and _marked(text, "code") == ["请填写验证码"]
