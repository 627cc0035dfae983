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
