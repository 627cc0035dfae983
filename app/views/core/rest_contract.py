"""What a REST client may rely on, whatever the resource (issue 22, finding 4).

- Not signed in is 401, however it shows: no token, a token that is not a JWT or not ours
  (flask_jwt_extended would answer 422 with English text), and a write with neither a
  token nor a signed-in session (the CSRF check would answer 400 first). The body is the
  API's error body, `{"message": "…"}` in Chinese.
- A row's URL whose id is not a number is "no such row" (404) for every verb: FAB's GET
  takes `<int:pk>` where PUT and DELETE take `<pk>`, so a GET of /api/v1/x/abc was 405.
- Numbers are JSON numbers: a Decimal (hours, quantity, amounts — Numeric columns) is
  written as a number (8.0, 100.0), not as the string "8.0" Flask writes by default.
- The OpenAPI document (/api/v1/_openapi) says what the API really answers:
  app/views/core/openapi.py completes it.
"""
import math
from decimal import Decimal

import jsonschema

from flask import jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import MethodNotAllowed

TOKEN_INVALID = "令牌无效：Authorization 请求头须为 “Bearer <access_token>”，令牌由 /api/v1/security/login 获取"
NOT_SIGNED_IN = "未登录：请在 Authorization 请求头中携带令牌（Bearer <access_token>），令牌由 /api/v1/security/login 获取"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
TOKEN_ENDPOINTS = ("/api/v1/security/login", "/api/v1/security/refresh")


class NumbersJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a Decimal as a number (a non-finite one, which JSON cannot hold,
    as text). Numeric(6, 1) and Numeric(8, 2) values are exact as binary floats to the
    digits they keep."""

    @staticmethod
    def default(o):
        if isinstance(o, Decimal):
            return float(o) if o.is_finite() and math.isfinite(float(o)) else str(o)
        return DefaultJSONProvider.default(o)


def unauthorized(message: str):
    response = jsonify(message=message)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _signed_in_by_session() -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False))


def anonymous_api_write():
    """before_request, ahead of the CSRF check: an API write by nobody (no session, no
    usable bearer token) is 401 — not the CSRF check's 400, which tells a script nothing
    about what it lacks."""
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.path.startswith(TOKEN_ENDPOINTS) or _signed_in_by_session():
        return None
    header = request.headers.get("Authorization", "")
    if not header.strip():
        return unauthorized(NOT_SIGNED_IN)
    from flask_jwt_extended import verify_jwt_in_request

    try:
        verify_jwt_in_request()
    except Exception:  # noqa: BLE001 — any failure of the token is "not signed in"
        return unauthorized(TOKEN_INVALID)
    return None


def row_method_not_allowed(error: MethodNotAllowed):
    """405 from routing: an API GET of a row URL whose id is not a number (only the
    PUT/DELETE rules, which take any text, matched) is a row that is not there."""
    from app.views.core import hardening

    if request.path.startswith("/api/") and request.method in ("GET", "HEAD") \
            and {"PUT", "DELETE"} & set(error.valid_methods or ()):
        return hardening.error_response(404, "记录不存在，或您无权查看")
    return hardening.http_error(error)


def install_jwt_answers(jwt_manager) -> None:
    """flask_jwt_extended's refusals as the API's 401 with a Chinese message."""
    jwt_manager.invalid_token_loader(lambda _reason: unauthorized(TOKEN_INVALID))
    jwt_manager.unauthorized_loader(lambda _reason: unauthorized(NOT_SIGNED_IN))
    jwt_manager.token_verification_failed_loader(
        lambda _header, _data: unauthorized(TOKEN_INVALID))


class _CheckedSchemas:
    """What FAB's `@rison(schema)` calls as `jsonschema.validate(instance=…, schema=…)` on
    every API request: jsonschema's `validate` checks the schema itself against its
    metaschema each time before checking the arguments — half of a REST list request's CPU
    (/api/v1/person/, 100 requests: 23.5 ms a request, 15 of 28 profiled seconds in
    check_schema). Here each schema (FAB's module constants) is checked once, its
    validator kept, and the arguments checked as `validate` does (the best-matching error
    raised), so a bad `q` gets the same 400 and message."""

    ValidationError = jsonschema.ValidationError

    def __init__(self):
        self._validators = {}

    def validate(self, instance, schema):
        kept = self._validators.get(id(schema))
        if kept is None or kept[0] is not schema:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            kept = self._validators[id(schema)] = (schema, cls(schema))  # keeps `schema` alive
        error = jsonschema.exceptions.best_match(kept[1].iter_errors(instance))
        if error is not None:
            raise error


def install(app, appbuilder) -> None:
    import flask_appbuilder.api

    from app.views.core import openapi

    if isinstance(flask_appbuilder.api.jsonschema, type(jsonschema)):
        flask_appbuilder.api.jsonschema = _CheckedSchemas()
    app.json = NumbersJSONProvider(app)
    install_jwt_answers(appbuilder.sm.jwt_manager)
    app.register_error_handler(MethodNotAllowed, row_method_not_allowed)
    app.before_request(anonymous_api_write)  # hardening installs the CSRF check after it
    openapi.install(app)
