"""First-login, change password and menus through the test client."""


def test_firm_admin_is_sent_to_first_login_until_done(app, client):
    from tests.helpers import make_firm

    firm = make_firm(app, "11010009", activated=False)
    response = client.login(firm.admin, "010009")
    assert response.status_code == 302
    assert client.get("/personview/list/").headers["Location"].endswith("/account/first-login/")
    page = client.get("/account/first-login/").get_data(as_text=True)
    assert "联系人手机号" in page and "测试会计师事务所11010009" in page

    bad = client.post_form("/account/first-login/", {
        "contact_name": "王五", "contact_phone": "12345", "new_password": "abc12345",
        "repeat": "abc12345"})
    assert "联系人手机号应为11位中国大陆手机号码" in bad.get_data(as_text=True)
    assert client.get("/personview/list/").status_code == 302  # nothing half-saved

    done = client.post_form("/account/first-login/", {
        "contact_name": "王五", "contact_phone": "13812345678", "new_password": "abc12345",
        "repeat": "abc12345"})
    assert done.status_code == 302
    assert client.get("/personview/list/").status_code == 200
    client.logout()
    assert "/login/" in client.login(firm.admin, "010009").headers["Location"]
    assert client.login(firm.admin, "abc12345").status_code == 302
