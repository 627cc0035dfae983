"""Security switches: CSRF on every form, login rate limiting, session cookies, SECRET_KEY,
FAB's security views closed to firm admins and members, and 系统管理 → 修改密码."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask_appbuilder.security.sqla.models import User

import config
from app.models import PersonStatus
from app.extensions import db
from app.models import Person
from app.roles import FIRM_ADMIN
from tests.helpers import PASSWORD, make_firm, make_user

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "Newpass2027"


def _password_state(app, username):
    with app.app_context():
        user = db.session.query(User).filter_by(username=username).one()
        account = user.account
        return (user.password, account.must_change_password if account else None,
                account.password_changed_at if account else None)


def _person(app, pk):
    with app.app_context():
        person = db.session.get(Person, pk)
        return None if person is None else (person.name, person.firm_id, person.phone)


def _person_form(**overrides):
    form = {"person_type": "其他从业人员", "name": "王新", "gender": "", "id_number": "",
            "phone": "13700000009", "birth_date": "", "ethnicity": "汉族", "position": "助理",
            "cert_number": "", "firm": "", "status": PersonStatus.ACTIVE}
    form.update(overrides)
    return form


def _session_cookie_headers(response):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]


def _attributes(set_cookie):
    return {part.strip().split("=")[0].lower(): part.strip() for part in set_cookie.split(";")[1:]}


def _signed_in(client):
    """Whether the client's session is signed in: a protected page answers 200."""
    return client.client.get("/account/password/").status_code == 200


# --- CSRF -------------------------------------------------------------------------------

def test_form_posts_without_a_csrf_token_are_rejected_and_change_nothing(app, world, client):
    assert client.login(world.a.admin).status_code == 302 and client.signed_in
    before = _password_state(app, world.a.admin)
    raw = client.client
    for token in (None, "forged-token"):
        extra = {} if token is None else {"csrf_token": token}
        response = raw.post("/account/password/", data={
            "old_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD,
            **extra})
        assert response.status_code == 400, token
        assert "CSRF" in response.get_data(as_text=True)
        assert _password_state(app, world.a.admin) == before

        assert raw.post("/personview/add", data={**_person_form(), **extra}).status_code == 400
        assert _count_persons(app, phone="13700000009") == 0

        own = world.a_people[1]
        kept = _person(app, own)
        assert raw.post(f"/personview/edit/{own}", data={
            **_person_form(name="张二改", phone="13800000002"), **extra}).status_code == 400
        assert raw.post(f"/personview/delete/{own}", data=extra).status_code == 400
        assert _person(app, own) == kept

    # the same requests with the session's token go through (so the 400s above are CSRF)
    assert client.post_form("/personview/add", _person_form()).status_code == 302
    assert _count_persons(app, phone="13700000009") == 1
    assert client.post_form(f"/personview/delete/{world.a_people[2]}").status_code == 302
    assert _person(app, world.a_people[2]) is None


def _count_persons(app, **filters):
    with app.app_context():
        return db.session.query(Person).filter_by(**filters).count()


def test_login_form_without_a_csrf_token_does_not_sign_in(app, world, client):
    response = client.client.post("/login/", data={"username": world.staff, "password": PASSWORD})
    assert response.status_code == 400
    assert not _signed_in(client)


@pytest.mark.parametrize("actor", ["firm_admin", "staff"])
def test_get_delete_does_not_delete(app, world, client, actor):
    login = world.a.admin if actor == "firm_admin" else world.staff
    client.login(login)
    target = world.a_people[1]
    kept = _person(app, target)
    response = client.get(f"/personview/delete/{target}")
    assert response.status_code == 302  # FAB refuses GET mutations when CSRF is on
    assert _person(app, target) == kept
    followed = client.get(response.headers["Location"], follow_redirects=True)
    assert "访问被拒绝" in followed.get_data(as_text=True)
    if actor == "staff":
        empty = make_firm(app, "11010077", "北京空会计师事务所")
        assert client.get(f"/firmview/delete/{empty.id}").status_code == 302
        with app.app_context():
            assert db.session.query(User).filter_by(username=empty.admin).count() == 1
        assert client.get(f"/firmview/show/{empty.id}").status_code == 200


# --- login rate limiting ----------------------------------------------------------------

def test_login_form_is_rate_limited(app, world, client):
    assert config.Config.AUTH_RATE_LIMIT == "10 per minute"
    assert app.config["AUTH_RATE_LIMITED"] and app.config["RATELIMIT_ENABLED"]
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    token = client.token()
    for attempt in range(limit):
        response = client.client.post("/login/", data={
            "username": world.staff, "password": "Wrong0pass", "csrf_token": token})
        assert response.status_code == 302, attempt
        assert "/login/" in response.headers["Location"]
    blocked = client.client.post("/login/", data={
        "username": world.staff, "password": "Wrong0pass", "csrf_token": token})
    assert blocked.status_code == 429
    # the right password is blocked too, and does not sign in
    blocked = client.client.post("/login/", data={
        "username": world.staff, "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert not _signed_in(client)


# --- session cookies --------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_lax(app, world, client):
    for response in (client.get("/login/"), client.login(world.staff)):
        cookies = _session_cookie_headers(response)
        assert cookies, response.headers.getlist("Set-Cookie")
        attributes = _attributes(cookies[-1])
        assert "httponly" in attributes
        assert attributes["samesite"].lower() == "samesite=lax"
        # the default serves plain HTTP on loopback: Secure would lose the session
        assert "secure" not in attributes
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("value,expected", [
    ("1", True), ("true", True), ("YES", True), (" on ", True),
    ("0", False), ("false", False), ("no", False), ("", False),
])
def test_env_bool_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_SWITCH", value)
    assert config._env_bool("SOME_SWITCH", not expected) is expected
    monkeypatch.delenv("SOME_SWITCH")
    assert config._env_bool("SOME_SWITCH", True) is True
    assert config._env_bool("SOME_SWITCH", False) is False


@pytest.mark.parametrize("value,expected", [(None, "False False"), ("1", "True True"),
                                            ("true", "True True"), ("0", "False False")])
def test_session_cookie_secure_follows_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "SESSION_COOKIE_SECURE"}
    if value is not None:
        env["SESSION_COOKIE_SECURE"] = value
    out = subprocess.run(
        [sys.executable, "-c",
         "import config; c = config.Config; "
         "print(c.SESSION_COOKIE_SECURE, c.REMEMBER_COOKIE_SECURE)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == expected


def _fresh_app(test_config, tmp_path, **settings):
    """A second application on its own empty SQLite file and instance dir."""
    from app import create_app

    attrs = {"INSTANCE_DIR": tmp_path, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
             "UPLOAD_FOLDER": str(tmp_path / "uploads"), "SECRET_KEY": None,
             "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}, **settings}
    return create_app(type("FreshConfig", (test_config,), attrs))


def test_secure_cookie_setting_reaches_the_cookie(test_config, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    import flask_migrate

    app = _fresh_app(test_config, tmp_path, SESSION_COOKIE_SECURE=True)
    with app.app_context():  # the login page needs FAB's tables
        flask_migrate.upgrade()
        db.engine.dispose()
    response = app.test_client().get("/login/")
    assert response.status_code == 200
    cookies = _session_cookie_headers(response)
    assert cookies
    attributes = _attributes(cookies[-1])
    assert {"secure", "httponly", "samesite"} <= set(attributes)


# --- SECRET_KEY ---------------------------------------------------------------------------

def test_secret_key_is_generated_once_into_the_instance_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    key = config.load_secret_key(instance)
    key_file = instance / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) == 64 and int(key, 16) >= 0  # 32 random bytes, hex
    assert key_file.read_text().strip() == key
    assert config.load_secret_key(instance) == key  # the same key on the next start
    assert key_file.read_text().strip() == key
    other = config.load_secret_key(tmp_path / "other")
    assert other != key  # random, not a constant


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.delenv("SECRET_KEY", raising=False)
    generated = config.load_secret_key(instance)
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.load_secret_key(instance) == "from-the-environment"
    assert config.load_secret_key(tmp_path / "fresh") == "from-the-environment"
    assert not (tmp_path / "fresh" / "secret_key").exists()
    assert (instance / "secret_key").read_text().strip() == generated


def test_create_app_uses_the_generated_or_the_environment_key(test_config, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    generated_dir = tmp_path / "generated"
    app = _fresh_app(test_config, generated_dir)
    key_file = generated_dir / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = _fresh_app(test_config, generated_dir)
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    env_dir = tmp_path / "env"
    app = _fresh_app(test_config, env_dir)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (env_dir / "secret_key").exists()


# --- FAB's security views -----------------------------------------------------------------

SECURITY_PAGES = ["/users/list/", "/roles/list/", "/users/add", "/permissions/list/",
                  "/viewmenus/list/", "/permissionviews/list/", "/resetmypassword/form",
                  "/users/userinfo/"]


@pytest.mark.parametrize("actor", ["firm_admin", "member", "staff"])
def test_non_admins_cannot_open_the_security_views(app, world, client, actor):
    login = {"firm_admin": world.a.admin, "member": world.member, "staff": world.staff}[actor]
    assert client.login(login).status_code == 302 and client.signed_in
    for path in SECURITY_PAGES:
        response = client.get(path)
        assert response.status_code in (302, 403), (path, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response.headers["Location"], path
        assert world.admin not in response.get_data(as_text=True)
    # nor create a user through them
    response = client.post_form("/users/add", {
        "first_name": "x", "last_name": "x", "username": "intruder", "email": "i@example.org",
        "password": "Intrud3r!", "conf_password": "Intrud3r!", "active": "y"})
    assert response.status_code in (302, 403)
    with app.app_context():
        assert db.session.query(User).filter_by(username="intruder").count() == 0


def test_anonymous_is_sent_to_login_and_admin_opens_the_security_views(app, world, client):
    for path in ("/users/list/", "/roles/list/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response.headers["Location"]
    client.login(world.admin)
    users = client.get("/users/list/")
    assert users.status_code == 200
    assert world.staff in users.get_data(as_text=True)
    roles = client.get("/roles/list/")
    assert roles.status_code == 200 and "事务所管理员" in roles.get_data(as_text=True)  # FirmAdmin, in Chinese (issue 14)


# --- 系统管理 → 修改密码 --------------------------------------------------------------------

ACTORS = ["firm_admin", "member", "staff", "admin"]


def _actor(world, actor):
    return {"firm_admin": world.a.admin, "member": world.member, "staff": world.staff,
            "admin": world.admin}[actor]


def _initial_password(world, actor):
    # make_firm's admin started with the code's last 6 characters; make_user's with PASSWORD
    return world.a.code[-6:] if actor == "firm_admin" else PASSWORD


def _refusals(world, actor):
    initial = _initial_password(world, actor)
    return [
        ("旧密码错误", {"old_password": "Wrong0pass", "new_password": NEW_PASSWORD,
                    "repeat": NEW_PASSWORD}, "旧密码不正确"),
        ("两次不一致", {"old_password": PASSWORD, "new_password": NEW_PASSWORD,
                    "repeat": NEW_PASSWORD + "x"}, "两次输入的新密码不一致"),
        ("不足8位", {"old_password": PASSWORD, "new_password": "abc1234", "repeat": "abc1234"},
         "新密码至少8位"),
        ("没有数字", {"old_password": PASSWORD, "new_password": "abcdefghij",
                  "repeat": "abcdefghij"}, "新密码须同时包含字母和数字"),
        ("没有字母", {"old_password": PASSWORD, "new_password": "1234567890",
                  "repeat": "1234567890"}, "新密码须同时包含字母和数字"),
        # a firm admin's initial password (6 digits) already breaks the length rule
        ("初始密码", {"old_password": PASSWORD, "new_password": initial, "repeat": initial},
         "新密码至少8位" if actor == "firm_admin" else "新密码不能与初始密码相同"),
    ]


@pytest.mark.parametrize("actor", ACTORS)
def test_change_password_refusals_show_a_chinese_message_and_change_nothing(
        app, world, client, actor):
    login = _actor(world, actor)
    assert client.login(login).status_code == 302 and client.signed_in
    page = client.get("/account/password/")
    assert page.status_code == 200
    assert "旧密码" in page.get_data(as_text=True) and "重复密码" in page.get_data(as_text=True)
    before = _password_state(app, login)
    for case, form, message in _refusals(world, actor):
        response = client.post_form("/account/password/", form)
        assert response.status_code == 400, case  # refused: the form again, with its status
        html = response.get_data(as_text=True)
        assert message in html, (case, message)
        assert "密码修改成功" not in html, case
        assert _password_state(app, login) == before, case


@pytest.mark.parametrize("actor", ACTORS)
def test_change_password_works_and_the_new_password_signs_in(
        app, world, client, make_client, actor):
    login = _actor(world, actor)
    client.login(login)
    response = client.post_form("/account/password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/password/")
    assert "密码修改成功" in client.get("/account/password/").get_data(as_text=True)
    hashed, must_change, changed_at = _password_state(app, login)
    assert not must_change and changed_at is not None

    # the same password again is refused as the current one; the initial one as the initial one
    again = client.post_form("/account/password/", {
        "old_password": NEW_PASSWORD, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert "新密码不能与当前密码相同" in again.get_data(as_text=True)
    if actor != "firm_admin":
        back = client.post_form("/account/password/", {
            "old_password": NEW_PASSWORD, "new_password": PASSWORD, "repeat": PASSWORD})
        assert "新密码不能与初始密码相同" in back.get_data(as_text=True)
    assert _password_state(app, login)[0] == hashed

    fresh = make_client()
    assert "/login/" in fresh.login(login, PASSWORD).headers["Location"]
    assert not fresh.signed_in
    assert fresh.login(login, NEW_PASSWORD).status_code == 302 and fresh.signed_in
    assert _signed_in(fresh)
    # the REST login follows the same password
    http = app.test_client()
    assert http.post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).status_code == 401
    assert http.post("/api/v1/security/login", json={
        "username": login, "password": NEW_PASSWORD, "provider": "db"}).status_code == 200


def test_firm_admin_cannot_reuse_a_long_initial_password(app, world, client):
    """The initial-password rule for a firm admin whose initial password passes the others."""
    login = make_user(app, "P11010001b", FIRM_ADMIN, firm_id=world.a.id)
    client.login(login)
    before = _password_state(app, login)
    response = client.post_form("/account/password/", {
        "old_password": PASSWORD, "new_password": PASSWORD, "repeat": PASSWORD})
    assert "新密码不能与初始密码相同" in response.get_data(as_text=True)
    assert _password_state(app, login) == before


def test_change_password_needs_a_signed_in_user(app, world, client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    before = _password_state(app, world.staff)
    response = client.post_form("/account/password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert _password_state(app, world.staff) == before
