"""What every response and every state-changing API call goes through, whatever the view.

- REST calls that change state and are authenticated by the session cookie (FAB's
  `allow_browser_login`) must carry the session's CSRF token (header X-CSRFToken):
  otherwise any page a signed-in user visits could post to /api/v1/… in their name.
  Calls with a JWT bearer token need none — a foreign page cannot make a browser send it.
- Pages, exports and API answers are never stored by a browser or a proxy
  (Cache-Control: no-store); only static files are cacheable.
- Login is limited per account and per address separately (an office behind one
  address keeps its own budget), with a Chinese 429 page that says when to retry.
"""
import math
import time

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# obtaining a token is not an action taken with the session: nothing to forge
TOKEN_ENDPOINTS = ("/api/v1/security/login", "/api/v1/security/refresh")
LOGIN_ENDPOINTS = ("AuthDBView.login", "SecurityApi.login")
API_CSRF_MESSAGE = ("缺少或无效的 CSRF 令牌：通过浏览器会话调用接口修改数据时须在请求头 X-CSRFToken "
                    "中携带页面的令牌；脚本和其他系统请使用 JWT（Authorization: Bearer …）")


def error_page(heading: str, message: str, status: int):
    """An error in the app's own layout, in Chinese, with a way back."""
    appbuilder = current_app.appbuilder
    if not hasattr(g, "user"):  # refused before FAB's own before_request ran
        from flask_login import current_user

        g.user = current_user._get_current_object()
    body = render_template("core/error.html", appbuilder=appbuilder,
                           base_template=appbuilder.base_template, heading=heading,
                           message=message)
    return current_app.response_class(body, status=status, mimetype="text/html")


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def protect_api_writes():
    """before_request: a cookie-authenticated API write needs the CSRF token."""
    if request.method in SAFE_METHODS or not _is_api(request.path):
        return None
    if request.path.startswith(TOKEN_ENDPOINTS):
        return None
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    current_app.extensions["csrf"].protect()  # raises CSRFError (400) without a valid token
    return None


def csrf_error(error: CSRFError):
    if _is_api(request.path):
        return jsonify(message=API_CSRF_MESSAGE), 400
    return error_page("请求无效（400）", "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试。", 400)


def no_store(response):
    """after_request: nothing but static files is cached anywhere."""
    endpoint = request.endpoint or ""
    if endpoint != "static" and not endpoint.endswith(".static"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    response.headers.pop("Server", None)
    return response


# --- login limits ------------------------------------------------------------------------

def _login_name() -> str:
    name = request.form.get("username")
    if name is None and request.is_json:
        name = (request.get_json(silent=True) or {}).get("username")
    return (name or "").strip().lower()[:128]


def _account_key() -> str:
    return "login-account:" + _login_name()


def limit_logins(app, appbuilder) -> None:
    """Wrap both login doors (form and JWT) with a per-account and a per-address limit."""
    limiter = appbuilder.sm.limiter
    per_account = app.config["AUTH_RATE_LIMIT"]
    per_address = app.config["AUTH_IP_RATE_LIMIT"]
    for endpoint in LOGIN_ENDPOINTS:
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        # shared: the form and the JWT login draw on one budget per account and per address
        view = limiter.shared_limit(per_account, scope="login-account", key_func=_account_key,
                                    methods=["POST"])(view)
        view = limiter.shared_limit(per_address, scope="login-address", methods=["POST"])(view)
        app.view_functions[endpoint] = view


def _retry_seconds() -> int:
    """Seconds until the breached limit's window resets (Flask-Limiter's view of it)."""
    try:
        limit = current_app.appbuilder.sm.limiter.current_limit
        return max(1, math.ceil(limit.reset_at - time.time())) if limit is not None else 60
    except Exception:  # noqa: BLE001 — never let the refusal itself fail
        return 60


def too_many_requests(error):
    seconds = _retry_seconds()
    message = f"操作过于频繁，请在{seconds}秒后重试"
    if _is_api(request.path):
        response = jsonify(message=message)
    else:
        response = error_page("操作过于频繁（429）", message, 429)
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _request_user():
    from flask import has_request_context

    return getattr(g, "user", None) if has_request_context() else None


def install(app, appbuilder) -> None:
    from app.workflows.core import audit

    audit.set_default_actor(_request_user)
    app.before_request(protect_api_writes)
    app.after_request(no_store)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(429, too_many_requests)
    if app.config.get("RATELIMIT_ENABLED"):
        limit_logins(app, appbuilder)
