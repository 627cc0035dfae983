"""When the database does not answer (issue 22): every request — login and the public
verification page included — gets a static Chinese page (503, text/html; charset=utf-8)
that needs neither the database nor a template (the app's layout asks the database who
is signed in), REST calls a Chinese `{"message": …}`; and `/healthz` tells a load
balancer whether the database answers.

Two layers: an error handler for the database's connection errors (the usual path, the
app's headers still added), and a WSGI wrapper for one that escapes every handler (an
error page that itself needed the database), which would otherwise be the server's bare
English 500.
"""
import json
import logging
from pathlib import Path

from flask import jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.workflows.core.commands import abandon

log = logging.getLogger(__name__)

PAGE = (Path(__file__).resolve().parents[2] / "static" / "errors" / "unavailable.html") \
    .read_bytes()
API_MESSAGE = "数据库暂时无法连接，请求未被处理，请稍后重试"
HEALTH_PATH = "/healthz"
HEADERS = [
    ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"), ("Retry-After", "30"),
    ("Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
]


def is_unreachable(error: BaseException | None) -> bool:
    """A database that does not answer (refused, gone, timed out), not a bad statement."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__ or getattr(error, "original_exception",
                                                                None)
    return False


def _body(path: str) -> tuple[bytes, str]:
    if path == HEALTH_PATH:
        return json.dumps({"database": "unavailable"}).encode(), "application/json"
    if path.startswith("/api/"):
        return json.dumps({"message": API_MESSAGE}, ensure_ascii=False).encode("utf-8"), \
            "application/json"
    return PAGE, "text/html; charset=utf-8"


def unavailable_response():
    from flask import current_app

    body, mimetype = _body(request.path)
    response = current_app.response_class(body, status=503, content_type=mimetype)
    for name, value in HEADERS:
        response.headers[name] = value
    return response


def database_error(error):
    """Error handler: the database did not answer → the static page; any other database
    error is a genuine bug (the Chinese 500)."""
    if not is_unreachable(error):
        from app.views.core.hardening import server_error

        return server_error(error)
    log.error("database unreachable on %s %s: %s", request.method, request.path,
              str(error).splitlines()[0][:200])
    try:
        from app.extensions import db

        db.session.remove()
    except Exception:  # noqa: BLE001 — the page must not fail in turn
        pass
    return unavailable_response()


class DatabaseDownMiddleware:
    """WSGI: a connection error that escaped Flask's handlers → the same static answer."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        try:
            return self.wsgi_app(environ, start_response)
        except Exception as error:  # noqa: BLE001
            if not is_unreachable(error):
                raise
            log.error("database unreachable (outside the app's handlers): %s",
                      str(error).splitlines()[0][:200])
            body, mimetype = _body(environ.get("PATH_INFO", ""))
            start_response("503 Service Unavailable",
                           [("Content-Type", mimetype), ("Content-Length", str(len(body))),
                            *HEADERS])
            return [body]


def healthz():
    """For a load balancer: 200 {"database": "ok"} when `SELECT 1` answers, else 503."""
    from app.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 — any failure means not healthy
        log.warning("health check: database does not answer: %s", str(error).splitlines()[0][:200])
        abandon()
        return jsonify(database="unavailable"), 503
    finally:
        db.session.remove()
    return jsonify(database="ok")


def install(app) -> None:
    app.add_url_rule(HEALTH_PATH, "healthz", healthz, methods=["GET"])
    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, database_error)
    app.wsgi_app = DatabaseDownMiddleware(app.wsgi_app)
