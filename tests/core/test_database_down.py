"""Issue 22, finding 7: with the database unreachable every page was the server's bare
English 500 (text/plain), login and the public verification page included. Now a static
Chinese page that needs no database (503, text/html; charset=utf-8), and /healthz says
whether the database answers."""
import pytest

from tests.helpers import WebClient

STATIC_TEXT = "系统暂时无法访问（503）"


@pytest.fixture(scope="module")
def down_app(test_config, tmp_path_factory):
    """The app pointed at a database that cannot be reached: on PostgreSQL a server port
    nobody listens on, on SQLite a file in a missing folder."""
    from app import create_app

    missing = tmp_path_factory.mktemp("down") / "no-such-folder" / "gone.db"
    postgres = test_config.SQLALCHEMY_DATABASE_URI.startswith("postgresql")

    class Down(test_config):
        if postgres:
            SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:1/gone"
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True,
                                         "connect_args": {"connect_timeout": 2}}
        else:
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{missing}"
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    return create_app(Down)


@pytest.mark.parametrize("path", ["/login/", "/verify/hours/", "/verify/hours/HC-2026-0001",
                                  "/", "/personview/list/", "/forgot-password/"])
def test_every_page_is_a_static_chinese_503_when_the_database_is_down(down_app, path):
    response = down_app.test_client().get(path)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    body = response.get_data(as_text=True)
    assert STATIC_TEXT in body and "联系协会系统管理员" in body
    assert "Internal Server Error" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_a_signed_in_browser_and_a_login_post_get_the_same_page(app, world, down_app):
    """A session cookie from the working app (its user cannot be loaded) and a login POST."""
    browser = WebClient(app.test_client())
    browser.login(world.a.admin)
    cookie = browser.client.get_cookie("session").value
    down = down_app.test_client()
    down.set_cookie("session", cookie)
    for response in (down.get("/personview/list/"), down.post("/login/", data={
            "username": world.a.admin, "password": "x"}), down.post("/logout/")):
        assert response.status_code == 503
        assert STATIC_TEXT in response.get_data(as_text=True)
    api = down.get("/api/v1/person/")
    assert api.status_code == 503 and "数据库暂时无法连接" in api.get_json()["message"]


def test_healthz_says_whether_the_database_answers(app, down_app):
    ok = app.test_client().get("/healthz")
    assert ok.status_code == 200 and ok.get_json() == {"database": "ok"}
    down = down_app.test_client().get("/healthz")
    assert down.status_code == 503 and down.get_json() == {"database": "unavailable"}


def test_a_connection_error_escaping_every_handler_still_gets_the_page(down_app):
    """The WSGI wrapper: an error page that itself needed the database."""
    from werkzeug.test import Client

    from app.views.core.unavailable import DatabaseDownMiddleware
    from sqlalchemy.exc import OperationalError

    def broken(environ, start_response):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    response = Client(DatabaseDownMiddleware(broken)).get("/login/")
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert STATIC_TEXT in response.get_data(as_text=True)
