"""The OpenAPI document (/api/v1/_openapi) as the API really answers (issue 22, finding 4).

FAB writes each resource's document from its docstrings, which say less than the API does:
ids as strings (they are integers), `_info`'s add/edit columns as objects (they are lists),
a related row that may be absent as always present, and only some of the error answers —
403 (the role may not), 409 (changed by someone else meanwhile) and more are answered but
were not documented. `complete(document)` corrects the document once, for every resource
(FAB's own, ours and each machine's verbs), so a client generated from it (or schemathesis
checking against it) meets no surprise:

- every error answer is the API's one error body: `{"message": "…"}` in Chinese, with
  `field` (the field at fault) and `errors` ({field: message}) where they apply;
- each operation documents the errors it can answer: 400 bad input; 401 not signed in;
  403 not permitted; 404 a row or name in the path that is not there (or not yours); for
  writes 409 (a conflicting or already-decided row), 413 (body too large) and 422 (the
  body does not validate); 429 for the login limit; 500 (a bug, logged);
- ids are integers, `_info`'s columns lists, a related row nullable where its foreign key is.
"""
import copy
import functools

from flask import current_app, request

ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "原因（中文）"},
        "field": {"type": "string", "description": "出错的字段"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "各字段的错误：{字段: 原因}"},
    },
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "请求无效（参数、请求体或查询条件不对），message 说明原因",
    "401": "未登录：缺少令牌，或令牌无效、已过期",
    "403": "无权执行此操作（角色没有该权限，或不是本人/本所的记录）",
    "404": "记录不存在或无权查看（路径或请求体中指明的记录、名称不存在）",
    "405": "此地址不接受这种请求方式",
    "409": "与现有数据冲突（重复、已被他人处理或状态已变）",
    "413": "请求体超过上限",
    "422": "提交的数据未通过校验，errors 列出各字段",
    "429": "操作过于频繁，Retry-After 说明几秒后重试",
    "500": "系统内部错误（已记录在服务器日志中）",
}
WRITES = {"post", "put", "patch", "delete"}
TOKEN_PATHS = ("/api/v1/security/login", "/api/v1/security/refresh")
FIELD_INFO = {  # one entry of `_info`'s add_columns / edit_columns
    "type": "object",
    "properties": {
        "name": {"type": "string"}, "label": {"type": "string"},
        "description": {"type": "string"}, "required": {"type": "boolean"},
        "unique": {"type": "boolean"}, "type": {"type": "string"},
        "count": {"type": "integer"},
        "values": {"type": "array", "items": {"type": "object"}},
        "validate": {"type": "array", "items": {"type": "string"}},
    },
}


def error_codes(path: str, method: str, operation: dict) -> set[str]:
    """The error statuses an operation can answer."""
    if path.startswith(TOKEN_PATHS):
        return {"400", "401", "422", "429", "500"}
    codes = {"400", "500"}
    if operation.get("security") or not path.startswith("/api/v1/security/"):
        codes |= {"401", "403"}
    if "{" in path or method in WRITES:  # a write may name a row (in its body) not there
        codes.add("404")
    if method in WRITES:
        codes |= {"409", "413", "422"}
    return codes


def _error_response(code: str) -> dict:
    return {"description": DESCRIPTIONS.get(code, "请求未完成"),
            "content": {"application/json": {"schema": ERROR_REF}}}


def _json_schema(response: dict) -> dict | None:
    return ((response.get("content") or {}).get("application/json") or {}).get("schema")


def _integer_ids(schema: dict) -> None:
    """FAB documents `id` and `ids` as strings; integer keys come back as integers."""
    properties = schema.get("properties") or {}
    if properties.get("id", {}).get("type") == "string":
        properties["id"] = {**properties["id"], "type": "integer"}
    ids = properties.get("ids")
    if ids and ids.get("items", {}).get("type") == "string":
        ids["items"] = {"type": "integer"}
    if properties.get("count", {}).get("type") == "number":
        properties["count"] = {**properties["count"], "type": "integer"}
    for key in ("add_columns", "edit_columns"):
        if properties.get(key, {}).get("type") == "object":
            properties[key] = {"type": "array", "items": FIELD_INFO}


def _nullable_relations(schemas: dict, may_be_absent) -> None:
    """A related row (a nested object) that may be absent takes `null` too. Done on the
    reference to it (OpenAPI 3.0: a $ref takes no siblings, so wrapped in allOf)."""
    for schema_name, schema in schemas.items():
        for name, prop in list((schema.get("properties") or {}).items()):
            if "$ref" in prop and may_be_absent(schema_name, name):
                schema["properties"][name] = {"allOf": [{"$ref": prop["$ref"]}],
                                              "nullable": True}


def relation_may_be_absent(appbuilder):
    """(schema name, property) -> whether that related row can be missing: FAB names a
    resource's schemas "<ApiClass>.get_list" / "<ApiClass>.get"; the relation is optional
    when one of its foreign-key columns is nullable. Unknown names: assume it can."""
    from sqlalchemy import inspect

    apis = {type(view).__name__: view for view in appbuilder.baseviews
            if getattr(getattr(view, "datamodel", None), "obj", None) is not None}

    def may_be_absent(schema_name: str, prop: str) -> bool:
        parts = schema_name.split(".")
        view = apis.get(parts[0])
        if view is None or len(parts) != 2:
            return True
        relation = inspect(view.datamodel.obj).relationships.get(prop)
        if relation is None or relation.uselist:
            return True
        return any(column.nullable for column in relation.local_columns)

    return may_be_absent


def complete(document: dict, may_be_absent=lambda _schema, _prop: True) -> dict:
    """The document with the corrections above (a new dict; the argument is not changed).
    `may_be_absent(schema name, property)`: whether a nested related row can be null."""
    document = copy.deepcopy(document)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _nullable_relations(schemas, may_be_absent)
    schemas["Error"] = ERROR
    responses = components.setdefault("responses", {})
    for code in DESCRIPTIONS:
        responses[code] = _error_response(code)
    for path, operations in (document.get("paths") or {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            answers = operation.setdefault("responses", {})
            for code in sorted(error_codes(path, method, operation)):
                answers.setdefault(code, {"$ref": f"#/components/responses/{code}"})
            for code, answer in list(answers.items()):
                code = str(code)
                if code >= "400" and "$ref" not in answer and _json_schema(answer) is None:
                    answers[code] = {**_error_response(code),
                                     "description": answer.get("description")
                                     or DESCRIPTIONS.get(code, "")}
                schema = _json_schema(answer)
                if code.startswith("2") and isinstance(schema, dict):
                    _integer_ids(schema)
    return document


def install(app) -> None:
    """Serve the completed document at /api/<version>/_openapi (FAB's view, wrapped).

    FAB writes the document anew on every request: each operation's docstring parsed as
    YAML twice, about 1.4 s of CPU for our ~160 operations. What it writes depends only on
    the views registered at start and the version, so the completed document is kept per
    version (a version no API has answers 404 and is not kept); the `servers` entry, which
    FAB takes from the request's host, is set per request. FAB's own `protect()` still
    checks every request before anything is served, the kept document included."""
    from flask_appbuilder.api.manager import OpenApi
    from flask_appbuilder.security.decorators import protect

    view = app.view_functions.get("OpenApi.get")
    openapi = next((v for v in app.appbuilder.baseviews if isinstance(v, OpenApi)), None)
    if view is None or openapi is None:
        return
    write = OpenApi.get.__wrapped__  # FAB's body (under @safe), below its @protect()
    kept = {}

    def get(self, version):
        if version not in kept:
            response = current_app.make_response(write(self, version))
            if response.status_code != 200 or not response.is_json:
                return response
            kept[version] = complete(response.get_json(),
                                     relation_may_be_absent(current_app.appbuilder))
        servers = current_app.config.get("FAB_OPENAPI_SERVERS", [{"url": request.host_url}])
        return current_app.response_class(
            current_app.json.dumps({**kept[version], "servers": servers}), status=200,
            content_type="application/json; charset=utf-8")

    get.__name__ = "get"  # the permission FAB checks: can_get on OpenApi, as before
    checked = protect()(get)

    @functools.wraps(view)
    def documented(*args, **kwargs):
        return checked(openapi, *args, **kwargs)

    app.view_functions["OpenApi.get"] = documented
