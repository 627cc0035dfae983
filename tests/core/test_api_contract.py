"""Issue 22 (finding 4): the REST contract integrators rely on.

- Not signed in is 401 with a Chinese message: a malformed or foreign token (was 422) and an
  anonymous write (was the CSRF check's 400).
- Decimals (hours, quantity, amounts) are JSON numbers, ids integers, as the document says.
- The OpenAPI document is the truth: schemathesis, run per role (Staff, FirmAdmin, Member,
  the Institute's LMS account) on every operation with the rows of every domain's isolation
  fixtures, finds no server error, no undocumented status code, no response off its schema
  and no undocumented content type.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.roles import FIRM_ADMIN, INSTITUTE, MEMBER, STAFF
from app.views.core.openapi import complete
from tests.helpers import PASSWORD, serving

ST = Path(sys.executable).with_name("st")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


def _token(client, login: str) -> str:
    response = client.post("/api/v1/security/login",
                           json={"username": login, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def _rows_of_every_domain(app, world):
    """The isolation matrix's rows: every resource has something to list, show and decide."""
    from tests.core.test_isolation import _actors, _matrix

    _matrix(world, app)
    return {**_actors(world), STAFF: world.staff}


# --- FAB's argument check, its schemas checked once ----------------------------------------

BAD_ARGUMENTS = [{"page": "x"}, {"page_size": -1.5}, {"columns": 3}, {"filters": [{"col": 1}]},
                 {"order_direction": "sideways"}, {"keys": ["nope"]}, {"bogus": True}, {}]


def test_the_kept_argument_check_answers_as_jsonschema_validate_does():
    import flask_appbuilder.api
    import jsonschema
    from flask_appbuilder.api.schemas import get_info_schema, get_item_schema, get_list_schema

    from app.views.core.rest_contract import _CheckedSchemas

    checked = _CheckedSchemas()
    for schema in (get_list_schema, get_item_schema, get_info_schema):
        for arguments in BAD_ARGUMENTS:
            try:
                jsonschema.validate(instance=arguments, schema=schema)
                expected = None
            except jsonschema.ValidationError as error:
                expected = str(error)
            for _twice in range(2):  # the second from the kept validator
                try:
                    checked.validate(instance=arguments, schema=schema)
                    found = None
                except flask_appbuilder.api.jsonschema.ValidationError as error:
                    found = str(error)
                assert found == expected, (schema, arguments)
    assert len(checked._validators) == 3
    with pytest.raises(jsonschema.SchemaError):  # a schema that is not one is still refused
        checked.validate(instance={}, schema={"type": "no such type"})


def test_a_bad_list_argument_is_400_naming_it(app, world):
    import flask_appbuilder.api

    from app.views.core.rest_contract import _CheckedSchemas

    assert isinstance(flask_appbuilder.api.jsonschema, _CheckedSchemas)  # installed
    client = app.test_client()
    headers = {"Authorization": f"Bearer {_token(client, world.staff)}"}
    for _twice in range(2):
        response = client.get("/api/v1/person/?q=(page:x)", headers=headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["message"] == \
            "查询参数 q 的内容不符合要求：'x' is not of type 'integer'", response.get_json()
    assert client.get("/api/v1/person/?q=(page:0,page_size:5)",
                      headers=headers).status_code == 200


# --- 401, not 422 / 400 ---------------------------------------------------------------------

@pytest.mark.parametrize("header", ["Bearer junk", "Bearer a.b.c", "Bearer ", "Token abc",
                                    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x"])
def test_a_malformed_token_is_401_with_a_chinese_message(app, world, header):
    client = app.test_client()
    for method, path in (("get", "/api/v1/person/"), ("get", f"/api/v1/person/{world.a_people[0]}"),
                         ("put", f"/api/v1/person/{world.a_people[0]}"),
                         ("post", "/api/v1/person/")):
        response = getattr(client, method)(path, headers={"Authorization": header},
                                           **({"json": {"position": "经理"}}
                                              if method != "get" else {}))
        assert response.status_code == 401, (header, method, response.get_data(as_text=True))
        body = response.get_json()
        assert set(body) == {"message"} and "令牌" in body["message"], body


def test_an_anonymous_write_is_401_not_a_csrf_400(app, world):
    client = app.test_client()
    pk = world.a_people[0]
    for method, path in (("put", f"/api/v1/person/{pk}"), ("delete", f"/api/v1/person/{pk}"),
                         ("post", "/api/v1/person/"), ("post", "/api/v1/message/1/read"),
                         ("post", "/api/v1/lesson_progress/completion")):
        response = getattr(client, method)(path, json={"position": "经理"})
        assert response.status_code == 401, (method, path, response.get_data(as_text=True))
        assert "未登录" in response.get_json()["message"]
    assert client.get("/api/v1/person/").status_code == 401
    with app.app_context():
        from app.extensions import db
        from app.models import Person

        assert db.session.get(Person, pk).position == "合伙人"


def test_a_signed_in_browser_write_still_needs_its_csrf_token(app, world, client):
    client.login(world.staff)
    response = client.put(f"/api/v1/person/{world.a_people[1]}", json={"position": "经理"})
    assert response.status_code == 400 and "CSRF" in response.get_json()["message"]
    response = client.put(f"/api/v1/person/{world.a_people[1]}", json={"position": "经理"},
                          headers={"X-CSRFToken": client.token()})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_row_url_whose_id_is_not_a_number_is_404_for_every_verb(app, world):
    client = app.test_client()
    headers = {"Authorization": "Bearer " + _token(client, world.staff)}
    for method in ("get", "put", "delete"):
        response = getattr(client, method)("/api/v1/person/abc", headers=headers,
                                           **({"json": {}} if method == "put" else {}))
        assert response.status_code == 404, (method, response.status_code)
        assert response.get_json()["message"]


def test_a_verb_refuses_a_remark_or_version_of_the_wrong_type(app, world):
    client = app.test_client()
    headers = {"Authorization": "Bearer " + _token(client, world.staff)}
    for body, field in (({"remark": True}, "remark"), ({"remark": ["x"]}, "remark"),
                        ({"version": "1"}, "version"), ({"version": True}, "version")):
        response = client.post("/api/v1/person_transfer/1/approve", json=body, headers=headers)
        assert response.status_code == 400, (body, response.get_data(as_text=True))
        assert response.get_json()["field"] == field


# --- numbers as numbers, ids as integers ------------------------------------------------------

def test_decimals_are_json_numbers_and_ids_integers(app, world):
    logins = _rows_of_every_domain(app, world)
    client = app.test_client()
    headers = {"Authorization": "Bearer " + _token(client, logins[STAFF])}
    seen = set()
    for resource, column in (("hour_record", "hours"), ("training_class", "hours"),
                             ("inhouse_class", "hours"), ("inhouse_roster_entry", "hours"),
                             ("hour_application", "hours"), ("learning_fee", "amount")):
        body = client.get(f"/api/v1/{resource}/", headers=headers).get_json()
        assert body["result"], resource
        assert all(isinstance(pk, int) for pk in body["ids"]), body["ids"]
        for row in body["result"]:
            value = row[column]
            if value is not None:
                assert isinstance(value, (int, float)) and not isinstance(value, bool), \
                    (resource, column, value)
                seen.add(resource)
        one = client.get(f"/api/v1/{resource}/{body['ids'][0]}", headers=headers).get_json()
        assert isinstance(one["id"], int)
        assert one["result"][column] is None or isinstance(one["result"][column], (int, float))
    assert {"hour_record", "training_class", "learning_fee"} <= seen
    progress = client.get("/api/v1/lesson_progress/", headers=headers).get_json()["result"]
    assert progress and all(isinstance(row["course"]["hours"], float) for row in progress)


# --- the document --------------------------------------------------------------------------------


def test_the_document_is_written_once_and_still_checked_on_every_request(app, world, monkeypatch):
    """FAB writes the document anew per request (about 1.4 s of CPU); it is kept per
    version: a second request writes nothing, answers the same document with its own host
    in `servers`, and is still refused without a valid token or for a version no API has."""
    from flask_appbuilder.api import BaseApi

    writes = []
    write = BaseApi.add_api_spec
    monkeypatch.setattr(BaseApi, "add_api_spec",
                        lambda self, spec: writes.append(type(self).__name__) or write(self, spec))
    client = app.test_client()
    headers = {"Authorization": "Bearer " + _token(client, world.staff)}
    first = client.get("/api/v1/_openapi", headers=headers).get_json()
    written = len(writes)
    again = client.get("/api/v1/_openapi", headers=headers, base_url="https://cpa.example.cn/")
    assert again.status_code == 200 and again.content_type.startswith("application/json")
    assert len(writes) == written  # nothing written again (0 if an earlier test kept it)
    second = again.get_json()
    assert second["servers"] == [{"url": "https://cpa.example.cn/"}]
    assert {**first, "servers": None} == {**second, "servers": None}
    assert "/api/v1/person/" in second["paths"]
    assert client.get("/api/v1/_openapi").status_code == 401
    assert client.get("/api/v1/_openapi",
                      headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    assert client.get("/api/v9/_openapi", headers=headers).status_code == 404



def test_the_document_lists_every_error_answer_with_the_error_body(app, world):
    client = app.test_client()
    headers = {"Authorization": "Bearer " + _token(client, world.staff)}
    document = client.get("/api/v1/_openapi", headers=headers).get_json()
    assert document["components"]["schemas"]["Error"]["required"] == ["message"]
    operations = 0
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            if path.startswith("/api/v1/security/"):
                assert {"400", "401", "429"} <= codes, (path, codes)
                continue
            operations += 1
            assert {"400", "401", "403", "500"} <= codes, (method, path, codes)
            if "{" in path or method != "get":
                assert "404" in codes, (method, path)
            if method in ("post", "put", "delete"):
                assert {"409", "413", "422"} <= codes, (method, path, codes)
            for code in codes - {"200", "201"}:
                answer = operation["responses"][code]
                ref = answer.get("$ref", "")
                schema = (document["components"]["responses"][ref.rsplit("/", 1)[-1]]
                          if ref else answer)["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)
    assert operations > 100
    person = document["paths"]["/api/v1/person/"]["get"]["responses"]["200"]
    schema = person["content"]["application/json"]["schema"]
    assert schema["properties"]["ids"]["items"] == {"type": "integer"}
    schemas = document["components"]["schemas"]
    # a person may have no firm (协会代管); an hour record always has its person
    assert schemas["PersonApi.get_list"]["properties"]["firm"] == {
        "allOf": [{"$ref": "#/components/schemas/PersonApi.get_list.Firm"}], "nullable": True}
    assert schemas["HourRecordApi.get_list"]["properties"]["person"] == {
        "$ref": "#/components/schemas/HourRecordApi.get_list.Person"}
    info = document["paths"]["/api/v1/person/_info"]["get"]["responses"]["200"]
    assert info["content"]["application/json"]["schema"]["properties"]["add_columns"][
        "type"] == "array"


def test_complete_does_not_change_its_argument():
    document = {"paths": {"/api/v1/x/{pk}": {"get": {"responses": {
        "200": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"id": {"type": "string"}}}}}}}}}}}
    before = json.dumps(document, sort_keys=True)
    done = complete(document)
    assert json.dumps(document, sort_keys=True) == before
    answers = done["paths"]["/api/v1/x/{pk}"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404", "500"} == set(answers)
    assert answers["200"]["content"]["application/json"]["schema"]["properties"]["id"][
        "type"] == "integer"


# --- schemathesis per role -----------------------------------------------------------------------

def run_schemathesis(base: str, token: str, cwd: Path, *, max_examples=3, seed=22) -> dict:
    """One bounded run (examples and fuzzing phases, positive and negative data) of every
    operation but the token endpoints; the run's JSON report."""
    report = cwd / "report.json"
    result = subprocess.run(
        [str(ST), "run", f"{base}/api/v1/_openapi", "--checks", CHECKS,
         "--header", f"Authorization: Bearer {token}",
         "--max-examples", str(max_examples), "--workers", "1",
         "--phases", "examples,fuzzing", "--seed", str(seed),
         "--generation-database", "none", "--no-color", "--continue-on-failure",
         "--report", "json", "--report-json-path", str(report),
         "--exclude-path-regex", "/security/(login|refresh)$"],
        capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"})
    output = result.stdout + result.stderr
    assert report.exists(), output[-4000:]
    data = json.loads(report.read_text())
    data["output"] = output
    return data


ROLES = [STAFF, FIRM_ADMIN, MEMBER, INSTITUTE]


@pytest.mark.slow("about 20-40 s a role on two shared cores: ~460 requests against a live server")
@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_the_document_true_for_each_role(app, world, role, tmp_path):
    logins = _rows_of_every_domain(app, world)
    limiter = app.appbuilder.sm.limiter
    token = _token(app.test_client(), logins[role])
    limiter.enabled = False
    try:
        with serving(app) as base:
            report = run_schemathesis(base, token, tmp_path)
    finally:
        limiter.enabled = True
    failures = {f["title"]: f["count"] for f in report["failures"]}
    assert report["test_cases"]["generated"] >= 300, report["test_cases"]
    assert report["operations"]["tested"] >= 150, report["operations"]
    assert not failures and not report["errors"], (failures, report["output"][-6000:])
