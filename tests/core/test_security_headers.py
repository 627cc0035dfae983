"""Issue 14: security headers on every response, and the favicon."""
import re

import pytest

from app.views.core import headers


def _csp(response) -> dict:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("path", ["/login/", "/personview/list/", "/api/v1/person/",
                                  "/no/such/page", "/static/favicon.png"])
def test_every_response_carries_the_headers(app, client, path):
    response = client.get(path)
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert all(source.startswith("'") for source in csp["script-src"])  # no other origin
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP by default


def test_inline_scripts_carry_the_responses_nonce(app, world, client):
    client.login(world.staff)
    first = client.get("/personview/list/")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    page = first.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    second = client.get("/personview/list/")
    assert nonce not in second.headers["Content-Security-Policy"]  # one per response


def test_static_inline_handlers_are_allowed_by_their_hash(tmp_path):
    (tmp_path / "a.html").write_text(
        '<form onsubmit="return confirm(\'确定吗？\');"></form><a onclick="{{ x }}"></a>',
        encoding="utf-8")
    hashes = headers.handler_hashes(tmp_path)
    assert len(hashes) == 1 and hashes[0].startswith("'sha256-")  # the rendered one is left out
    assert "'unsafe-hashes'" in headers.policy("n", hashes)
    assert "'unsafe-hashes'" not in headers.policy("n", [])


def test_hsts_only_with_secure_cookies(test_config, monkeypatch):
    from app import create_app

    class Secure(test_config):
        SESSION_COOKIE_SECURE = True

    secure = create_app(Secure)
    response = secure.test_client().get("/login/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_favicon_is_served_and_linked(app, client):
    icon = client.get("/static/favicon.png")
    assert icon.status_code == 200 and icon.mimetype == "image/png"
    assert icon.data.startswith(b"\x89PNG")
    page = client.get("/login/").get_data(as_text=True)
    assert '<link rel="icon" type="image/png" href="/static/favicon.png">' in page


def test_static_files_are_kept_an_hour_and_pages_never(app, client, world):
    """A page's scripts and styles are not asked again by every page (a 304 each), while
    pages and what they download are never stored."""
    for path in ("/static/favicon.png", "/static/appbuilder/css/bootstrap.min.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=3600", path
    client.login(world.staff)
    for path in ("/login/", "/personview/list/", "/personview/export/csv/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
