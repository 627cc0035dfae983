"""Each kind of member signs in with the identifier its manual gives (issue 23, item 3).

Seeds 001/002: 「非执业会员直接使用其“会员证书编号”作为用户名进行登录」; seed 001: 「用户类型选择
“非执业会员”或“注册会计师”，用户名为会员证书编号」; seed 000 §3: 「从业人员用户名为“kj+手机号”」.
"""
from app.extensions import db
from app.models import Person, PersonType
from app.roles import MEMBER
from app.workflows import accounts
from app.workflows.accounts import recovery
from tests.helpers import NOW, PASSWORD, make_firm, make_person


def _people(app):
    """A firm's 非执业会员, CPA and 其他从业人员, each with the kj+mobile account a roster
    import gives it."""
    firm = make_firm(app, "11010031")
    ids = {
        PersonType.NON_PRACTICING: make_person(
            app, firm.id, "钱非执", person_type=PersonType.NON_PRACTICING, phone="13700000001",
            serial=301, cert_number="210012345678"),
        PersonType.CPA: make_person(
            app, firm.id, "孙注师", person_type=PersonType.CPA, phone="13700000002", serial=302,
            cert_number="110100310002"),
        PersonType.OTHER: make_person(app, firm.id, "李从业", phone="13700000003", serial=303),
    }
    with app.app_context():
        for person_id in ids.values():
            person = db.session.get(Person, person_id)
            accounts.create_account(username=accounts.staff_login(person.phone),
                                    display_name=person.name, role_name=MEMBER,
                                    password=PASSWORD, now=NOW, firm=person.firm,
                                    person=person, must_change_password=False)
        db.session.commit()
    return ids


def test_a_non_practising_member_signs_in_with_its_member_certificate_number(app, client):
    """Seed 002: 「非执业会员直接使用其“会员证书编号”作为用户名进行登录」; a CPA with its 证书编号
    (seed 001: 「用户名为会员证书编号」); the kj+手机号 name keeps working."""
    _people(app)
    assert client.login("210012345678").status_code == 302 and client.signed_in
    page = client.get("/account/password/", follow_redirects=True).get_data(as_text=True)
    assert "钱非执" in page
    client.logout()
    assert client.login("110100310002").status_code == 302 and client.signed_in
    client.logout()
    assert client.login("kj13700000001").status_code == 302 and client.signed_in
    client.logout()
    client.login("210012345678", "wrong-password")
    assert not client.signed_in


def test_other_staff_keep_kj_and_mobile_and_no_certificate_number_names_them(app, client):
    """Seed 000 §3: 「从业人员用户名为“kj+手机号”」 — a 其他从业人员 has no certificate number;
    an 其他从业人员's certificate number (wrongly recorded) does not name its account."""
    ids = _people(app)
    with app.app_context():
        db.session.get(Person, ids[PersonType.OTHER]).cert_number = "990000000003"
        db.session.commit()
    client.login("990000000003")
    assert not client.signed_in
    assert client.login("kj13700000003").status_code == 302 and client.signed_in


def test_the_identifier_is_resolved_once_for_every_door(app, client):
    """The JWT login and 找回密码 take the same identifiers as the form; each kind's
    identifier is what `login_identifier` says the demo and the pages print."""
    ids = _people(app)
    http = app.test_client()
    answer = http.post("/api/v1/security/login", json={
        "username": "210012345678", "password": PASSWORD, "provider": "db"})
    assert answer.status_code == 200 and answer.get_json()["access_token"]
    with app.app_context():
        assert recovery.find_account("210012345678").username == "kj13700000001"
        assert recovery.find_account(" 110100310002 ").username == "kj13700000002"
        assert accounts.resolve_login("nobody") is None
        labels = {kind: accounts.login_identifier(db.session.get(Person, pid))
                  for kind, pid in ids.items()}
    assert labels == {PersonType.NON_PRACTICING: "210012345678",
                      PersonType.CPA: "110100310002", PersonType.OTHER: "kj13700000003"}
    page = client.get("/login/").get_data(as_text=True)
    assert "非执业会员：会员证书编号" in page and "注册会计师：证书编号" in page
