"""Issue 22: the first-login gate has no side door, sessions end when they should, and a
bearer header exempts a REST write from the CSRF check only when its token verified."""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Person
from tests.helpers import PASSWORD, make_firm


def _token(http, username, password=PASSWORD):
    response = http.post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- 1. the first-login gate, by every door --------------------------------------------------

def test_an_initial_password_reaches_nothing_but_the_first_login_page_by_any_door(
        app, world, client):
    """Finding 1: `POST /login/ P11010009/010009` then `GET /api/v1/person/` was 200 with ID
    numbers and a PUT with the page's CSRF token changed the row."""
    firm = make_firm(app, "11010009", activated=False)
    from tests.helpers import make_person

    own = make_person(app, firm.id, "王初", phone="13811119999", serial=99)
    assert client.login(firm.admin, "010009").status_code == 302
    # pages
    assert client.get("/personview/list/").headers["Location"].endswith("/account/first-login/")
    # REST with the session cookie: reads and writes
    listed = client.get("/api/v1/person/")
    assert listed.status_code == 403, listed.get_data(as_text=True)
    assert "修改初始密码" in listed.get_json()["message"]
    token = client.token()  # the first-login page's own CSRF token
    changed = client.put(f"/api/v1/person/{own}", json={"position": "合伙人"},
                         headers={"X-CSRFToken": token})
    assert changed.status_code == 403
    with app.app_context():
        assert db.session.get(Person, own).position == "审计员"
    # JWT
    bearer = _token(app.test_client(), firm.admin, "010009")["access_token"]
    answer = app.test_client().get("/api/v1/person/", headers={"Authorization": f"Bearer {bearer}"})
    assert answer.status_code == 403
    # the first-login page itself still opens
    assert client.get("/account/first-login/").status_code == 200


# --- 3. only a verified bearer token exempts a write from CSRF ------------------------------

def test_a_junk_bearer_header_does_not_exempt_a_cookie_write_from_csrf(app, world, client):
    """Finding 3: cookie + `Authorization: Bearer junk` + PUT without a CSRF token was 200."""
    client.login(world.a.admin)
    person = world.a_people[1]
    refused = client.put(f"/api/v1/person/{person}", json={"position": "合伙人"},
                         headers={"Authorization": "Bearer junk"})
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    with app.app_context():
        assert db.session.get(Person, person).position == "审计员"


def test_a_verified_bearer_token_runs_as_its_own_user_not_the_cookies(app, world, client):
    """Staff's cookie with firm B's token: the call is firm B's, which cannot see A's row."""
    client.login(world.staff)
    b_token = _token(app.test_client(), world.b.admin)["access_token"]
    a_person = world.a_people[1]
    as_b = {"Authorization": f"Bearer {b_token}"}
    assert client.get(f"/api/v1/person/{a_person}", headers=as_b).status_code == 404
    write = client.put(f"/api/v1/person/{a_person}", json={"position": "合伙人"}, headers=as_b)
    assert write.status_code == 404
    with app.app_context():
        assert db.session.get(Person, a_person).position == "审计员"
    assert client.get(f"/api/v1/person/{a_person}").status_code == 200  # the cookie: staff
    own = client.put(f"/api/v1/person/{world.b_people[1]}", json={"position": "经理"},
                     headers=as_b)
    assert own.status_code == 200
