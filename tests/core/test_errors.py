"""Issue 14: bad input is a 4xx in Chinese (checked for permission first), every error page is
Chinese in the app's layout with a way back, REST errors are `{"message": "<Chinese>"}`, and
only a genuine bug is a 500 (its traceback in the server log, not on the page)."""
import json
import logging
import re

import pytest

from tests.helpers import PASSWORD

HUGE = "99999999999999999999"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _signed_in(make_client, login):
    client = make_client()
    client.login(login)
    assert client.signed_in, login
    return client


def _assert_chinese_page(response, status, *, contains=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    page = response.get_data(as_text=True)
    assert 'id="error-page"' in page, page[:500]
    message = re.search(r'<p id="error-message">(.*?)</p>', page, re.S).group(1)
    assert CJK.search(message), message
    assert "Traceback" not in page and "Exception" not in page
    assert re.search(r'href="/"[^>]*id="error-home"', page)  # a way back: home (and see below)
    if contains:
        assert contains in message, message
    return message


def _assert_chinese_json(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert isinstance(body.get("message"), str) and CJK.search(body["message"]), body
    return body


# --- list parameters, for a member as well as for staff -----------------------------------

@pytest.mark.parametrize("login", ["member", "staff"])
@pytest.mark.parametrize("query, needle", [
    ("_oc_PersonView=nonexistent&_od_PersonView=asc", "排序字段"),
    ("page_PersonView=x", "page_PersonView"),
    ("psize_PersonView=x", "psize_PersonView"),
    ("psize_PersonView=-5", "psize_PersonView"),
    ("_oc_PersonView=name&_od_PersonView=sideways", "排序方向"),
    ("_flt_5_firm=1", "筛选条件"),  # the firm column has fewer than six ways to filter
])
def test_malformed_list_parameters_are_a_chinese_400(app, world, make_client, caplog, login,
                                                     query, needle):
    client = _signed_in(make_client, getattr(world, login))
    with caplog.at_level(logging.WARNING):
        response = client.get(f"/personview/list/?{query}")
    _assert_chinese_page(response, 400, contains=needle)
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refusals and all(r.levelno == logging.WARNING and r.exc_info is None for r in refusals)


def test_a_valid_order_and_page_still_work(app, world, make_client):
    client = _signed_in(make_client, world.staff)
    response = client.get("/personview/list/?_oc_PersonView=name&_od_PersonView=desc"
                          "&page_PersonView=0&psize_PersonView=25")
    assert response.status_code == 200 and "张一" in response.get_data(as_text=True)


def test_the_security_views_get_the_same_checks(app, world, make_client):
    admin = _signed_in(make_client, world.admin)
    _assert_chinese_page(admin.get("/users/list/?_oc_UserView=password&_od_UserView=asc"),
                         400, contains="排序字段")
    _assert_chinese_page(admin.get("/roles/list/?page_RoleView=x"), 400)
    _assert_chinese_page(admin.get(f"/users/show/{HUGE}"), 404)
    _assert_chinese_page(admin.get(f"/roles/edit/{HUGE}"), 404)


# --- ids too large for the database integer -----------------------------------------------

@pytest.mark.parametrize("login, path", [
    ("member", f"/personview/show/{HUGE}"), ("member", "/personview/show/abc"),
    ("member", f"/help/policies/{HUGE}"), ("staff", f"/personview/edit/{HUGE}"),
    ("staff", "/personview/edit/-1"), ("admin", f"/users/edit/{HUGE}"),
])
def test_an_id_beyond_the_database_integer_is_a_chinese_404(app, world, make_client, login, path):
    client = _signed_in(make_client, getattr(world, login))
    _assert_chinese_page(client.get(path), 404)


def test_permission_comes_before_the_id(app, world, make_client):
    client = _signed_in(make_client, world.member)  # a member may not edit persons
    _assert_chinese_page(client.get(f"/personview/edit/{HUGE}"), 403)


def test_delete_with_a_huge_id_is_a_404_and_deletes_nothing(app, world, make_client):
    client = _signed_in(make_client, world.staff)
    _assert_chinese_page(client.post_form(f"/personview/delete/{HUGE}"), 404)
    assert client.get(f"/personview/show/{world.a_people[0]}").status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_rest_calls_with_a_huge_id_are_a_chinese_404(app, world, method):
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": world.staff, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    kwargs = {"json": {"name": "x"}} if method == "PUT" else {}
    response = client.open(f"/api/v1/person/{HUGE}", method=method,
                           headers={"Authorization": f"Bearer {token}"}, **kwargs)
    body = _assert_chinese_json(response, 404)
    assert body["message"] != "Not found"


# --- actions: permission first -------------------------------------------------------------

def test_a_member_posting_to_an_admin_only_action_gets_403(app, world, make_client):
    client = _signed_in(make_client, world.member)
    for path, data in [("/users/action_post", {"action": "nonexistent", "rowid": "1"}),
                       ("/users/action_post", {}),
                       (f"/roles/action/nonexistent/{HUGE}", {})]:
        _assert_chinese_page(client.post_form(path, data), 403)


def test_unknown_actions_and_missing_ids_are_refused_in_chinese(app, world, make_client):
    admin = _signed_in(make_client, world.admin)
    _assert_chinese_page(admin.post_form("/users/action_post", {"action": "nonexistent",
                                                                "rowid": "1"}), 404,
                         contains="nonexistent")
    _assert_chinese_page(admin.post_form("/users/action_post", {}), 404)
    _assert_chinese_page(admin.post_form("/personview/action/nonexistent/1"), 404)
    # a real action with no ids ticked
    from app.extensions import db  # noqa: F401  (the app's actions are looked up below)

    view = next(v for v in app.appbuilder.baseviews if getattr(v, "actions", None) and type(v).__name__ != "UserDBModelView")
    name = next(iter(view.actions))
    response = admin.post_form(f"/{view.route_base.strip('/')}/action_post", {"action": name})
    _assert_chinese_page(response, 400, contains="勾选")
    response = admin.post_form(f"/{view.route_base.strip('/')}/action_post",
                               {"action": name, "rowid": HUGE})
    _assert_chinese_page(response, 404)


def test_anonymous_actions_are_sent_to_login(app, world, client):
    response = client.post_form("/users/action_post", {"action": "x", "rowid": "1"})
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


# --- REST bodies and queries ---------------------------------------------------------------

def _bearer(app, login):
    response = app.test_client().post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.mark.parametrize("body, needle", [
    ("[1, 2]", "JSON 对象"),
    ("not json", "不是有效的 JSON"),
    ("[" * 100_000 + "]" * 100_000, ""),
    ("", "为空"),
])
def test_rest_bodies_that_are_not_a_json_object_are_a_chinese_400(app, world, body, needle):
    response = app.test_client().post("/api/v1/person/", data=body, content_type="application/json",
                                      headers=_bearer(app, world.staff))
    assert needle in _assert_chinese_json(response, 400)["message"]


def test_a_body_that_is_not_json_at_all_gets_fabs_message_in_chinese(app, world):
    response = app.test_client().post("/api/v1/person/", data="name=x",
                                      content_type="text/plain", headers=_bearer(app, world.staff))
    assert "JSON" in _assert_chinese_json(response, 400)["message"]


@pytest.mark.parametrize("q, needle", [
    ("(((", "q"), ("(page:x", "q"), ("!!", "q"), ("(page:-1,page_size:x)", "q"),
    ("(order_column:nonexistent,order_direction:asc)", "排序字段“nonexistent”"),
    ("(filters:!((col:nonexistent,opr:eq,value:1)))", "nonexistent"),
])
def test_bad_rison_is_a_chinese_400(app, world, q, needle):
    response = app.test_client().get("/api/v1/person/", query_string={"q": q},
                                     headers=_bearer(app, world.staff))
    assert needle in _assert_chinese_json(response, 400)["message"]


def test_validation_errors_have_a_chinese_message_and_chinese_field_errors(app, world):
    response = app.test_client().post("/api/v1/person/", json={"no_such_field": 1},
                                      headers=_bearer(app, world.staff))
    assert response.status_code in (400, 422)
    body = _assert_chinese_json(response, response.status_code)
    assert "no_such_field" in body["message"], body
    assert body["errors"]["no_such_field"] == "没有这个字段"


def test_fab_rest_not_found_and_jwt_messages_are_chinese(app, world):
    body = _assert_chinese_json(app.test_client().get("/api/v1/person/123456",
                                                      headers=_bearer(app, world.staff)), 404)
    assert body["message"] == "记录不存在，或您无权查看"
    response = app.test_client().get("/api/v1/person/", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code in (401, 422)
    assert CJK.search(response.get_json()["message"])
    assert "msg" not in response.get_json()


# --- the error pages -------------------------------------------------------------------------

def test_404_page_for_anonymous_and_signed_in(app, world, make_client):
    _assert_chinese_page(make_client().get("/no/such/page"), 404)
    _assert_chinese_page(_signed_in(make_client, world.member).get("/no/such/page"), 404)
    body = _assert_chinese_json(make_client().get("/api/v1/no_such_thing/"), 404)
    assert body["message"]


def test_the_error_page_links_back_to_the_page_the_user_came_from(app, world, make_client):
    client = _signed_in(make_client, world.staff)
    response = client.get("/personview/list/?page_PersonView=x",
                          headers={"Referer": "http://localhost/personview/list/"})
    _assert_chinese_page(response, 400)
    assert re.search(r'href="/personview/list/"[^>]*id="error-back"', response.get_data(as_text=True))
    foreign = client.get("/personview/list/?page_PersonView=x",
                         headers={"Referer": "http://evil.example/x"})
    assert 'id="error-back"' not in foreign.get_data(as_text=True)  # only our own pages


def test_405_page(app, world, make_client):
    response = _signed_in(make_client, world.staff).get("/imports/commit/abc")
    _assert_chinese_page(response, 405)
    assert "POST" in response.headers["Allow"]


def test_413_page(app, world, make_client, monkeypatch):
    client = _signed_in(make_client, world.staff)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = client.post_form("/personview/add", {"name": "x" * 5000})
    _assert_chinese_page(response, 413, contains="2 KB")
    response = client.post("/api/v1/person/", data=json.dumps({"name": "x" * 5000}),
                           content_type="application/json", headers={"X-CSRFToken": client.token()})
    _assert_chinese_json(response, 413)


def test_400_page_for_a_missing_csrf_token(app, world, make_client):
    client = _signed_in(make_client, world.staff)
    response = client.post("/personview/add", data={"name": "x"})
    message = _assert_chinese_page(response, 400)
    assert "CSRF" in message and "The CSRF token is missing" not in response.get_data(as_text=True)


def test_403_page(app, world, make_client):
    client = _signed_in(make_client, world.member)
    _assert_chinese_page(client.post_form("/roles/action_post", {"action": "x", "rowid": "1"}), 403)


def _boom(*args, **kwargs):
    raise RuntimeError("a genuine bug")


def test_500_page_logs_the_traceback_and_shows_none(app, world, make_client, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "HomeView.index", _boom)
    with caplog.at_level(logging.ERROR):
        response = make_client().get("/")
    _assert_chinese_page(response, 500)
    assert "a genuine bug" not in response.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info and "a genuine bug" in str(r.exc_info[1])]
    assert logged, "the traceback belongs in the server log"


def test_rest_500_is_chinese(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    api = next(v for v in app.appbuilder.baseviews if getattr(v, "resource_name", None) == "person")
    monkeypatch.setattr(api.datamodel, "query", _boom)
    response = app.test_client().get("/api/v1/person/", headers=_bearer(app, world.staff))
    body = _assert_chinese_json(response, 500)
    assert "Fatal" not in body["message"]


# --- what schemathesis found -------------------------------------------------------------

def test_rest_put_with_another_persons_phone_is_a_400_not_a_500(app, world):
    response = app.test_client().put(f"/api/v1/person/{world.a_people[0]}",
                                     json={"phone": "13900000002"}, headers=_bearer(app, world.staff))
    body = _assert_chinese_json(response, 400)
    assert "13900000002" in body["message"]


@pytest.mark.parametrize("firm", [{"id": 999999}, {"nonsense": 1}, {"id": HUGE}, [1], True])
def test_rest_references_to_rows_that_do_not_exist_are_refused(app, world, firm):
    from app.extensions import db
    from app.models import Firm

    with app.app_context():
        firms = db.session.query(Firm).count()
    response = app.test_client().put(f"/api/v1/person/{world.a_people[1]}", json={"firm": firm},
                                     headers=_bearer(app, world.staff))
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert CJK.search(response.get_json()["message"])
    with app.app_context():
        assert db.session.query(Firm).count() == firms  # no firm made up from the reference


def test_hour_correction_with_a_number_for_a_text_field_is_a_400(app, world):
    response = app.test_client().post("/api/v1/hour_record/correction", json={
        "person_id": world.a_people[0], "year": 2026, "title": "t", "category": "x",
        "delivery": "y", "hours": "1", "obtained_at": "2026-05-01", "reason": 1.5},
        headers=_bearer(app, world.staff))
    assert _assert_chinese_json(response, 400)["field"] == "reason"


def test_a_malformed_bearer_header_is_not_a_500(app, world):
    response = app.test_client().get("/api/v1/person/", headers={"Authorization": "Basic abc"})
    assert response.status_code in (401, 403, 422)


def test_a_request_that_recursed_to_pythons_limit_is_a_chinese_400(app, world, make_client,
                                                                    monkeypatch, caplog):
    def recurse(*args, **kwargs):
        return recurse(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "HomeView.index", recurse)
    with caplog.at_level(logging.WARNING):
        response = make_client().get("/")
    _assert_chinese_page(response, 400, contains="嵌套过深")
    assert any("recursion" in r.getMessage() and r.exc_info is None for r in caplog.records)


def test_a_rule_refusal_no_page_caught_is_its_chinese_message_not_a_500(app, world):
    """A DomainError escaping a custom page or API answers with its own status and text."""
    from app.views.core import hardening
    from app.workflows.core.errors import ConflictError, ForbiddenError

    assert app.error_handler_spec[None][None][hardening.DomainError] is hardening.domain_error
    with app.test_request_context("/training/"):
        response = hardening.domain_error(ConflictError("该记录已被他人处理，请刷新后重试"))
        assert response.status_code == 409
        assert "该记录已被他人处理" in response.get_data(as_text=True)
    with app.test_request_context("/api/v1/enrollment/1/approve", method="POST"):
        response = hardening.domain_error(ForbiddenError("无权审核"))
        assert response.status_code == 403 and response.get_json() == {"message": "无权审核"}
