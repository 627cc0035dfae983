"""First-login, change password and menus through the test client."""
from app.models import PersonStatus


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


def test_an_institute_managed_cpa_signs_in_with_its_certificate_number_and_id_number(
        app, client):
    """Seed 004 §1: login = 注册会计师证书编号, initial password = 身份证号; the first login
    asks for one's own mobile and a new password, both checked before either is saved."""
    from app.extensions import db
    from app.models import Person, PersonType
    from app.workflows import accounts
    from tests.helpers import NOW, id_number

    with app.app_context():
        person = Person(person_type=PersonType.CPA, name="钱代管", id_number=id_number(931),
                        cert_number="110100099931", firm_id=None, status=PersonStatus.ACTIVE)
        db.session.add(person)
        db.session.flush()
        accounts.provision_managed_cpa(person, NOW)
        firm_person = Person(person_type=PersonType.CPA, name="孙在所", firm_id=None,
                             id_number=id_number(932), cert_number="110100099932",
                             phone="13811110000", status=PersonStatus.ACTIVE)
        db.session.add(firm_person)
        db.session.commit()
        password = person.id_number
    assert client.login("110100099931", "wrong").status_code != 302 or not client.signed_in
    assert client.login("110100099931", password).status_code == 302 and client.signed_in
    assert client.get("/registration/").headers["Location"].endswith("/account/first-login/")
    page = client.get("/account/first-login/").get_data(as_text=True)
    assert "本人手机号" in page and "钱代管" in page and "110100099931" in page
    taken = client.post_form("/account/first-login/", {
        "mobile": "13811110000", "new_password": "abc12345", "repeat": "abc12345"})
    assert "该手机号已被其他人员使用" in taken.get_data(as_text=True)
    assert client.get("/registration/").status_code == 302  # nothing half-saved
    done = client.post_form("/account/first-login/", {
        "mobile": "13899990931", "new_password": "abc12345", "repeat": "abc12345"})
    assert done.status_code == 302
    assert client.get("/registration/").status_code == 200
    with app.app_context():
        assert db.session.query(Person).filter_by(name="钱代管").one().phone == "13899990931"
