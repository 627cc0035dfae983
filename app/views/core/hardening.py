"""What every response and every state-changing API call goes through, whatever the view.

- REST calls that change state and are authenticated by the session cookie (FAB's
  `allow_browser_login`) must carry the session's CSRF token (header X-CSRFToken):
  otherwise any page a signed-in user visits could post to /api/v1/… in their name.
  Calls with a JWT bearer token need none — a foreign page cannot make a browser send it —
  but only a token that verified exempts a call, and the call then runs as the token's
  user, never as the cookie's (`api_user`).
- Pages, exports and API answers are never stored by a browser or a proxy
  (Cache-Control: no-store); only static files are cacheable.
- Login is limited per account and per address separately (an office behind one
  address keeps its own budget), with a Chinese 429 page that says when to retry.
- Every error a user meets is Chinese: pages in the app's layout with a way back, REST
  answers `{"message": "…"}` (FAB's own English REST messages are translated on the way
  out). Bad input is a 4xx (app/views/core/bad_input.py); a genuine bug is a Chinese 500
  whose traceback goes to the server log only.
"""
import logging
import math
import re
import time

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.workflows.core.commands import abandon
from app.workflows.core.errors import DomainError, error_body

log = logging.getLogger(__name__)

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
                           message=message, back_url=_back_url())
    return current_app.response_class(body, status=status, mimetype="text/html")


def _back_url():
    """The page the user came from, if it is ours and not this one (no script needed)."""
    referrer = request.referrer or ""
    origin = request.host_url.rstrip("/")
    if referrer.startswith(origin + "/") and referrer.split("#")[0] != request.url:
        return referrer[len(origin):]
    return None


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def bearer_user():
    """The user of the request's `Authorization: Bearer …` token if it verified (signature,
    expiry, the account's session generation), else None; decided once per request."""
    if "_bearer_user" in g.__dict__:
        return g._bearer_user
    user = None
    if request.headers.get("Authorization", "").startswith("Bearer ") \
            and not request.path.startswith(TOKEN_ENDPOINTS):
        from flask_jwt_extended import get_current_user, verify_jwt_in_request

        try:
            verify_jwt_in_request()
            user = get_current_user()
        except Exception:  # noqa: BLE001 — any bad token is simply no token here
            user = None
    g._bearer_user = user
    return user


def api_user():
    """Who an API call runs as: a verified bearer token's user (replacing the session
    cookie's for this request, so FAB's permission checks see the token's user), else the
    cookie's user (or anonymous)."""
    from flask_login import current_user

    user = bearer_user()
    if user is not None:
        if g.get("_login_user") is not user:
            current_app.login_manager._update_request_context_with_user(user)
            g.user = user
        return user
    return current_user._get_current_object()


def protect_api_writes():
    """before_request: an API write needs the CSRF token unless a bearer token verified."""
    if not _is_api(request.path) or request.path.startswith(TOKEN_ENDPOINTS):
        return None
    if api_user() is not None and bearer_user() is not None:
        return None
    if request.method in SAFE_METHODS:
        return None
    current_app.extensions["csrf"].protect()  # raises CSRFError (400) without a valid token
    return None


# --- error pages and REST errors -----------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
ERRORS = {
    400: ("请求无效（400）", "请求的参数无效，请从页面上的链接或按钮重新操作。"),
    401: ("需要登录（401）", "请先登录。"),
    403: ("无权访问（403）", "您没有执行此操作的权限；如需开通，请联系协会系统管理员。"),
    404: ("页面或记录不存在（404）", "您要找的页面或记录不存在，或您无权查看。"),
    405: ("请求方式不允许（405）", "此地址不接受这种请求方式，请从页面上的链接或按钮操作。"),
    413: ("提交的内容过大（413）", "上传的文件或提交的内容超过了 {limit} 的上限，请缩小后重试。"),
    422: ("数据校验未通过（422）", "提交的数据未通过校验。"),
    500: ("系统内部错误（500）", "系统处理请求时出错，已记录在服务器日志中。请稍后重试；"
          "若反复出现，请联系协会系统管理员并告知出错的时间。"),
}


def _message(status: int, description=None) -> tuple[str, str]:
    heading, default = ERRORS.get(status, (f"请求未完成（{status}）", "请求未能完成，请返回后重试。"))
    if status == 413:
        limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
        size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:.0f} KB"
        default = default.format(limit=size)
    if isinstance(description, str) and CJK.search(description):
        return heading, description
    return heading, default


def error_response(status: int, description=None):
    heading, message = _message(status, description)
    if _is_api(request.path):
        response = jsonify(message=message)
        response.status_code = status
        return response
    return error_page(heading, message, status)


def http_error(error: HTTPException):
    """Every HTTP error (abort(404), a bad request, 405, 413, …) in Chinese."""
    if error.code is None or error.code < 400:
        return error
    response = error_response(error.code, error.description)
    if error.code == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def bad_value(error):
    """A value the database cannot hold (a huge number, text for a number): bad input."""
    abandon()
    log.warning("refused %s %s: %s", request.method, request.full_path,
                str(error).splitlines()[0][:200])
    return error_response(400, "提交的数值超出范围或格式不对，请检查后重试")


def domain_error(error):
    """A rule's refusal (DomainError) that a view did not turn into a page of its own: for
    the REST API the one JSON body {message, field?, errors?} with its status (400 / 403 /
    404 / 409), for a page the Chinese error page; never a 500, and nothing of the refused
    change is kept."""
    abandon()
    log.info("refused %s %s: %s", request.method, request.full_path, error.message[:200])
    if _is_api(request.path):
        response = jsonify(error_body(error))
        response.status_code = error.status
        return response
    return error_response(error.status, error.message)


def too_deep(error):
    log.warning("refused %s %s: recursion limit", request.method, request.full_path)
    return error_response(400, "请求的数据嵌套过深，无法处理")


def server_error(error):
    """A genuine bug: the traceback goes to the log, the user gets a Chinese page."""
    original = getattr(error, "original_exception", None) or error
    if isinstance(original, HTTPException):
        return http_error(original)
    from app.views.core import unavailable

    if unavailable.is_unreachable(original):
        return unavailable.database_error(original)
    log.error("server error on %s %s", request.method, request.full_path, exc_info=original)
    try:
        abandon()
    except Exception:  # noqa: BLE001 — the error page must not fail in turn
        pass
    return error_response(500)


# FAB's own REST messages (flask_appbuilder/api, security/api, flask_jwt_extended)
REST_MESSAGES = {
    "Not found": "记录不存在，或您无权查看",
    "Fatal error": "系统内部错误，已记录在服务器日志中",
    "Internal error": "系统内部错误，已记录在服务器日志中",
    "Forbidden": "您没有执行此操作的权限",
    "Not authorized": "未登录或登录已过期，请重新获取令牌",
    "Arguments are not correct": "请求参数不正确",
    "Could not process entity": "提交的数据无法处理",
    "Request is not JSON": "请求体须为 JSON（Content-Type: application/json）",
    "Request payload is not JSON": "请求体须为 JSON（Content-Type: application/json）",
    "Not a valid rison argument": "查询参数 q 不是有效的 Rison",
    "Not a valid rison/json argument": "查询参数 q 不是有效的 Rison 或 JSON",
    "Missing Authorization Header": "缺少 Authorization 请求头（Bearer 令牌）",
    "Token has expired": "令牌已过期，请重新登录获取",
    "Signature verification failed": "令牌无效",
}
FIELD_MESSAGES = [
    (re.compile(r"^Missing data for required field\.$"), "必填"),
    (re.compile(r"^Field may not be null\.$"), "不能为空"),
    (re.compile(r"^Unknown field\.$"), "没有这个字段"),
    (re.compile(r"^Not a valid string\.$"), "须为文本"),
    (re.compile(r"^Not a valid integer\.$"), "须为整数"),
    (re.compile(r"^Not a valid number\.$"), "须为数字"),
    (re.compile(r"^Not a valid boolean\.$"), "须为 true 或 false"),
    (re.compile(r"^Not a valid date\.$"), "须为日期（YYYY-MM-DD）"),
    (re.compile(r"^Not a valid datetime\.$"), "须为时间（YYYY-MM-DDTHH:MM:SS）"),
    (re.compile(r"^Invalid input type\.$"), "类型不对"),
    (re.compile(r"^Invalid input\.$"), "无效"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"须为以下之一：\1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"不能超过 \1 个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"不能少于 \1 个字符"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度须在 \1–\2 之间"),
    (re.compile(r"^Number too large\.$"), "数值过大"),
    (re.compile(r"^Related object doesn't exist in DB$"), "关联的记录不存在"),
]


REST_PATTERNS = [
    (re.compile(r"^Not a valid rison schema\s*(.*)$", re.S), r"查询参数 q 的内容不符合要求：\1"),
    (re.compile(r"^Invalid order by column: (.*)$", re.S), r"排序字段“\1”无效"),
    (re.compile(r"^Filter column: (.*) not allowed to filter$", re.S), r"字段“\1”不能用于筛选"),
    (re.compile(r"^Filter operation: (.*) not allowed on column: (.*)$", re.S),
     r"字段“\2”不支持筛选方式“\1”"),
    (re.compile(r"^Cannot use both select and sel columns$"), "不能同时使用 select_columns 和 sel"),
]


def _rest_message(message: str, status: int) -> str:
    if message in REST_MESSAGES:
        return REST_MESSAGES[message]
    for pattern, chinese in REST_PATTERNS:
        if pattern.match(message):
            return pattern.sub(chinese, message)[:300]
    log.info("untranslated REST message on %s: %s", request.path, message[:200])
    return _message(status)[1]


def _field_message(text):
    if not isinstance(text, str):
        return text
    for pattern, chinese in FIELD_MESSAGES:
        if pattern.match(text):
            return pattern.sub(chinese, text)
    return text


def _flatten(errors, prefix=""):
    """{"name": ["Missing data…"], "a": {"0": [...]}} → [("name", "必填"), …]"""
    items = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            items += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            items += _flatten(value, prefix)
    else:
        items.append((prefix, _field_message(errors)))
    return items


def chinese_rest_errors(response):
    """after_request: an API error answered by FAB in English gets a Chinese `message`."""
    if response.status_code < 400 or not _is_api(request.path) or not response.is_json:
        return response
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return response
    message = body.get("message", body.get("msg"))
    if isinstance(message, (dict, list)):  # marshmallow: {field: [messages]}
        problems = _flatten(message)
        body["errors"] = {field or "_": text for field, text in problems}
        body["message"] = "提交的数据未通过校验：" + "；".join(
            f"{field}：{text}" if field else str(text) for field, text in problems[:10])
    elif isinstance(message, str) and not CJK.search(message):
        body["message"] = _rest_message(message, response.status_code)
    else:
        return response
    body.pop("msg", None)
    response.set_data(current_app.json.dumps(body))
    return response


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
    """The per-account budget: keyed on the account the typed text resolves to, whichever
    identifier names it (login name, 证书编号 or 会员证书编号 — resolved as the login itself
    resolves it), one budget for every address the account never signed in from, and one
    for each address it did (issue 22: a stranger guessing passwords locks the strangers'
    budget, never the owner at its usual desk)."""
    from flask_limiter.util import get_remote_address

    from app.workflows.accounts import resolve_login
    from app.workflows.accounts.sessions import is_known_address

    name = _login_name()
    user = resolve_login(name) if name else None
    if user is None:
        return "login-name:" + name
    address = get_remote_address()
    if is_known_address(user.id, address):
        return f"login-account:{user.id}:known:{address}"
    return f"login-account:{user.id}"


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
    from app.views.core import bad_input, headers, labels, rest_contract, times, unavailable
    from app.workflows.core import audit

    times.install(app, appbuilder)
    labels.install(app, appbuilder)  # statuses in words on every page, export and filter
    headers.install(app)
    audit.set_default_actor(_request_user)
    rest_contract.install(app, appbuilder)  # its 401 for an anonymous write comes first
    app.before_request(protect_api_writes)
    bad_input.install(app)
    app.after_request(no_store)
    app.after_request(chinese_rest_errors)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(429, too_many_requests)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OverflowError, bad_value)
    app.register_error_handler(DataError, bad_value)
    app.register_error_handler(RecursionError, too_deep)
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(500, server_error)
    unavailable.install(app)  # the database does not answer: a static page, and /healthz
    if app.config.get("RATELIMIT_ENABLED"):
        limit_logins(app, appbuilder)
