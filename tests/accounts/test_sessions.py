"""Issue 22: the first-login gate has no side door, sessions end when they should, and a
bearer header exempts a REST write from the CSRF check only when its token verified."""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Person
from tests.helpers import NOW, PASSWORD, make_firm


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


# --- 2. sessions end ----------------------------------------------------------------------

def _session_cookie(client):
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _browser_with(app, cookie):
    from tests.helpers import WebClient

    other = WebClient(app.test_client())
    other.client.set_cookie("session", cookie)
    return other


def _opens_list(browser) -> bool:
    return browser.get("/personview/list/").status_code == 200


def test_logout_is_a_post_with_csrf_and_a_saved_cookie_opens_nothing_after_it(
        app, world, client):
    """Finding 2: a cookie saved before `GET /logout/` still opened /personview/list/."""
    client.login(world.a.admin)
    saved = _session_cookie(client)
    page = client.get("/personview/list/").get_data(as_text=True)
    assert 'action="/logout/"' in page and 'method="post"' in page  # the navbar's form
    assert 'href="/logout/"' not in page
    # a cross-site link (GET) or a POST without the page's token cannot sign anyone out
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 400
    assert _opens_list(client)
    assert _opens_list(_browser_with(app, saved))
    signed_out = client.logout()
    assert signed_out.status_code == 302 and "/login/" in signed_out.headers["Location"]
    assert not _opens_list(client)
    assert not _opens_list(_browser_with(app, saved))
    assert client.login(world.a.admin).status_code == 302 and _opens_list(client)


def test_a_password_change_ends_every_other_session_and_token_of_the_account(
        app, world, make_client):
    """Finding 2: a cookie saved before a password change and a JWT issued before it still
    answered. The browser that changed it goes on."""
    here, there = make_client(), make_client()
    here.login(world.a.admin)
    there.login(world.a.admin)
    saved = _session_cookie(there)
    tokens = _token(app.test_client(), world.a.admin)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert api.get("/api/v1/person/", headers=bearer).status_code == 200
    changed = here.post_form("/account/password/", {
        "old_password": PASSWORD, "new_password": "Newpass2027", "repeat": "Newpass2027"})
    assert changed.status_code == 302
    assert _opens_list(here)
    assert not _opens_list(there) and not _opens_list(_browser_with(app, saved))
    assert api.get("/api/v1/person/", headers=bearer).status_code == 401
    refreshed = api.post("/api/v1/security/refresh",
                         headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 401
    fresh = _token(app.test_client(), world.a.admin, "Newpass2027")["access_token"]
    assert api.get("/api/v1/person/", headers={
        "Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_reset_a_revocation_and_a_role_change_end_the_accounts_sessions(
        app, world, make_client):
    from app.models import Firm
    from app.roles import STAFF
    from app.workflows.accounts import recovery

    member = make_client()
    member.login(world.member)
    assert member.get("/personview/list/").status_code == 200
    staff = make_client()
    staff.login(world.staff)
    # 重置密码 by staff (person list action, through its workflow)
    with app.app_context():
        actor = db.session.query(User).filter_by(username=world.staff).one()
        recovery.reset_person_account(actor, NOW, world.a_people[0])
    assert member.get("/personview/list/").status_code == 302
    # a firm admin's reset
    admin = make_client()
    admin.login(world.a.admin)
    with app.app_context():
        actor = db.session.query(User).filter_by(username=world.staff).one()
        recovery.reset_firm_admin(actor, NOW, world.a.id)
        assert db.session.get(Firm, world.a.id) is not None
    assert admin.get("/personview/list/").status_code == 302
    # a role change on 用户列表 ends the changed user's sessions
    b_admin = make_client()
    b_admin.login(world.b.admin)
    assert _opens_list(b_admin)
    root = make_client()
    root.login(world.admin)
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.b.admin).one()
        user_id, roles = user.id, [r.id for r in user.roles]
        from flask_appbuilder.security.sqla.models import Role

        staff_role = db.session.query(Role).filter_by(name=STAFF).one().id
    edited = root.post_form(f"/users/edit/{user_id}", {
        "first_name": "乙所", "username": world.b.admin, "active": "y",
        "email": f"{world.b.admin.lower()}@accounts.invalid", "roles": roles + [staff_role]})
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    assert not _opens_list(b_admin)


def test_an_admin_ends_a_users_sessions_from_the_user_list(app, world, make_client):
    """用户列表 → 结束会话: the user's browsers and tokens stop working."""
    member = make_client()
    member.login(world.a.admin)
    tokens = _token(app.test_client(), world.a.admin)
    root = make_client()
    root.login(world.admin)
    with app.app_context():
        user_id = db.session.query(User).filter_by(username=world.a.admin).one().id
    listing = root.get("/users/list/").get_data(as_text=True)
    assert "结束会话" in listing
    done = root.post_form("/users/action_post", {"action": "end_sessions", "rowid": [user_id]},
                          follow_redirects=True)
    assert "已结束 1 个用户的全部会话" in done.get_data(as_text=True)
    assert not _opens_list(member)
    assert app.test_client().get("/api/v1/person/", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert _opens_list(root)
    # a firm admin cannot end anybody's sessions
    member.login(world.a.admin)
    refused = member.post_form("/users/action_post", {"action": "end_sessions",
                                                      "rowid": [user_id]})
    assert refused.status_code in (302, 403) and _opens_list(member)


def test_sign_ins_of_one_account_from_one_address_at_once_all_succeed(app, world):
    """Two browsers of a shared firm account signing in at the same moment from one office
    address: each is let in (the address is remembered by one statement, so the second does
    not fail on the address's unique key) and the address is kept once."""
    import re
    import threading
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    from app.models import LoginAddress
    from tests.helpers import serving

    def sign_in(base, outcomes):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(f"{base}/login/", timeout=30).read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        ready.wait(10)
        response = opener.open(f"{base}/login/", data=urllib.parse.urlencode({
            "username": world.a.admin, "password": PASSWORD, "csrf_token": csrf}).encode(),
            timeout=30)
        outcomes.append((response.status, response.url))

    outcomes, ready = [], threading.Event()
    with serving(app) as base:
        threads = [threading.Thread(target=sign_in, args=(base, outcomes)) for _ in range(6)]
        for thread in threads:
            thread.start()
        ready.set()
        for thread in threads:
            thread.join(60)
    assert len(outcomes) == 6 and all(status == 200 and "/login/" not in url
                                      for status, url in outcomes), outcomes
    with app.app_context():
        user = db.session.query(User).filter_by(username=world.a.admin).one()
        assert db.session.query(LoginAddress).filter_by(user_id=user.id).count() == 1
