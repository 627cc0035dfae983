"""REST under /api/v1/: JWT login, the OpenAPI document, row scoping identical to the UI,
validation, the first-login gate, firm creation, and rate limiting of the JWT login."""
from flask_appbuilder.security.sqla.models import User

from app.extensions import db
from app.models import Firm, Person
from app.roles import FIRM_ADMIN
from tests.helpers import PASSWORD, id_number, make_firm

LOGIN = "/api/v1/security/login"
FIRST_LOGIN_MESSAGE = "请先登录网页修改初始密码并补充信息"
MOVE_MESSAGE = "不能将数据写入或移到其他事务所"


def api_login(http, username, password=PASSWORD):
    return http.post(LOGIN, json={"username": username, "password": password,
                                  "provider": "db", "refresh": True})


def bearer(http, username, password=PASSWORD):
    response = api_login(http, username, password)
    assert response.status_code == 200, (username, response.status_code, response.get_json())
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _person(app, pk):
    with app.app_context():
        person = db.session.get(Person, pk)
        if person is None:
            return None
        return {"name": person.name, "firm_id": person.firm_id, "phone": person.phone,
                "id_number": person.id_number}


def _count(app, model, **filters):
    with app.app_context():
        return db.session.query(model).filter_by(**filters).count()


def _new_person(**overrides):
    body = {"person_type": "其他从业人员", "name": "王新", "phone": "13700000009",
            "position": "助理", "status": "正常"}
    body.update(overrides)
    return body


def _is_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --- JWT login ----------------------------------------------------------------------

def test_jwt_login_works_for_staff_and_an_activated_firm_admin(app, world):
    http = app.test_client()
    for username in (world.staff, world.a.admin):
        response = api_login(http, username)
        assert response.status_code == 200
        body = response.get_json()
        assert body["access_token"] and body["refresh_token"]
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get("/api/v1/person/", headers=headers).status_code == 200
        # the refresh token really refreshes
        refreshed = http.post("/api/v1/security/refresh",
                              headers={"Authorization": f"Bearer {body['refresh_token']}"})
        assert refreshed.status_code == 200 and refreshed.get_json()["access_token"]


def test_jwt_login_with_a_wrong_password_is_401(app, world):
    http = app.test_client()
    for username, password, status in ((world.a.admin, "Wrong0pass", 401),
                                       (world.staff, world.a.admin, 401),
                                       ("nobody", PASSWORD, 401),
                                       (world.staff, "", 400)):  # schema: password required
        response = api_login(http, username, password)
        assert response.status_code == status, (username, password, response.get_json())
        assert "access_token" not in (response.get_json() or {})


def test_resources_need_a_token(app, world):
    http = app.test_client()
    for path in ("/api/v1/person/", "/api/v1/firm/", f"/api/v1/person/{world.a_people[0]}"):
        assert http.get(path).status_code == 401
    assert http.get("/api/v1/person/", headers={"Authorization": "Bearer not-a-jwt"}
                    ).status_code == 401


# --- OpenAPI ------------------------------------------------------------------------

def test_openapi_document_lists_firm_and_person_and_needs_a_token(app, world):
    http = app.test_client()
    assert http.get("/api/v1/_openapi").status_code == 401
    for username in (world.admin, world.staff, world.a.admin):
        response = http.get("/api/v1/_openapi", headers=bearer(http, username))
        assert response.status_code == 200, (username, response.status_code)
        spec = response.get_json()
        assert spec["openapi"].startswith("3.")
        paths = set(spec["paths"])
        for resource in ("firm", "person"):
            assert {f"/api/v1/{resource}/", f"/api/v1/{resource}/{{pk}}",
                    f"/api/v1/{resource}/_info"} <= paths, (username, sorted(paths))
        assert {"get", "post"} <= set(spec["paths"]["/api/v1/person/"])
        assert {"get", "put", "delete"} <= set(spec["paths"]["/api/v1/person/{pk}"])
        assert LOGIN in paths


# --- scoping: firm admin -----------------------------------------------------------

def test_firm_admin_lists_only_its_own_persons_and_firm(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    persons = http.get("/api/v1/person/", headers=headers).get_json()
    assert persons["count"] == 3
    assert sorted(persons["ids"]) == sorted(world.a_people)
    assert {row["firm"]["id"] for row in persons["result"]} == {world.a.id}
    firms = http.get("/api/v1/firm/", headers=headers).get_json()
    assert firms["count"] == 1 and firms["ids"] == [world.a.id]
    assert [row["code"] for row in firms["result"]] == [world.a.code]
    # a search naming firm B finds nothing, it does not widen the scope
    query = f"?q=(filters:!((col:firm,opr:rel_o_m,value:{world.b.id})))"
    searched = http.get("/api/v1/person/" + query, headers=headers).get_json()
    assert searched["count"] == 0 and searched["ids"] == []
    # and a big page does not either
    paged = http.get("/api/v1/person/?q=(page:0,page_size:100)", headers=headers).get_json()
    assert sorted(paged["ids"]) == sorted(world.a_people)


def test_firm_admin_gets_404_for_another_firms_rows(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    b_person = world.b_people[1]
    before = _person(app, b_person)
    assert http.get(f"/api/v1/person/{b_person}", headers=headers).status_code == 404
    assert http.put(f"/api/v1/person/{b_person}", headers=headers,
                    json={"name": "篡改"}).status_code == 404
    assert http.delete(f"/api/v1/person/{b_person}", headers=headers).status_code == 404
    assert http.get(f"/api/v1/firm/{world.b.id}", headers=headers).status_code == 404
    assert _person(app, b_person) == before
    # the same calls on its own rows work (so the 404 above is the scope, not a broken API)
    own = world.a_people[1]
    shown = http.get(f"/api/v1/person/{own}", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["result"]["name"] == "张二"
    assert http.get(f"/api/v1/firm/{world.a.id}", headers=headers).status_code == 200


def test_firm_admin_cannot_create_a_person_in_another_firm(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    total = _count(app, Person)
    response = http.post("/api/v1/person/", headers=headers, json=_new_person(firm=world.b.id))
    assert response.status_code in (400, 403)
    assert response.get_json()["message"] == MOVE_MESSAGE
    assert _count(app, Person) == total
    assert _count(app, Person, phone="13700000009") == 0


def test_firm_admin_creates_a_person_in_its_own_firm_by_default(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    response = http.post("/api/v1/person/", headers=headers, json=_new_person())
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["id"]
    assert _person(app, pk)["firm_id"] == world.a.id
    listed = http.get("/api/v1/person/", headers=headers).get_json()
    assert listed["count"] == 4 and pk in listed["ids"]
    # firm B's admin does not see it
    assert http.get(f"/api/v1/person/{pk}", headers=bearer(http, world.b.admin)).status_code == 404


def test_firm_admin_cannot_move_a_person_to_another_firm(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    own = world.a_people[1]
    before = _person(app, own)
    response = http.put(f"/api/v1/person/{own}", headers=headers,
                        json={"name": "张二改", "firm": world.b.id})
    assert response.status_code in (400, 403)
    assert response.get_json()["message"] == MOVE_MESSAGE
    assert _person(app, own) == before
    # a legitimate edit of the same row goes through
    ok = http.put(f"/api/v1/person/{own}", headers=headers, json={"name": "张二改"})
    assert ok.status_code == 200, ok.get_json()
    assert _person(app, own) == {**before, "name": "张二改"}


def test_firm_admin_may_read_but_not_write_firms(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    assert http.put(f"/api/v1/firm/{world.a.id}", headers=headers,
                    json={"name": "改名"}).status_code == 403
    assert http.delete(f"/api/v1/firm/{world.a.id}", headers=headers).status_code == 403
    assert http.post("/api/v1/firm/", headers=headers,
                     json={"code": "11018888", "name": "新所"}).status_code == 403
    assert _count(app, Firm) == 2
    assert _count(app, Firm, id=world.a.id, name=world.a.name) == 1


def test_info_offers_only_the_firm_admins_own_firm(app, world):
    http = app.test_client()
    info = http.get("/api/v1/person/_info", headers=bearer(http, world.a.admin)).get_json()
    for key in ("add_columns", "edit_columns"):
        firm = next(c for c in info[key] if c["name"] == "firm")
        assert [v["id"] for v in firm["values"]] == [world.a.id], (key, firm)
    staff_info = http.get("/api/v1/person/_info", headers=bearer(http, world.staff)).get_json()
    firm = next(c for c in staff_info["add_columns"] if c["name"] == "firm")
    assert sorted(v["id"] for v in firm["values"]) == sorted([world.a.id, world.b.id])


# --- scoping: staff and member ------------------------------------------------------

def test_staff_sees_both_firms(app, world):
    http = app.test_client()
    headers = bearer(http, world.staff)
    persons = http.get("/api/v1/person/", headers=headers).get_json()
    assert persons["count"] == 6
    assert sorted(persons["ids"]) == sorted(world.a_people + world.b_people)
    firms = http.get("/api/v1/firm/", headers=headers).get_json()
    assert firms["count"] == 2 and sorted(firms["ids"]) == sorted([world.a.id, world.b.id])
    assert http.get(f"/api/v1/person/{world.b_people[0]}", headers=headers).status_code == 200
    # staff may place a person in any firm
    response = http.post("/api/v1/person/", headers=headers, json=_new_person(firm=world.b.id))
    assert response.status_code == 201, response.get_json()
    assert _person(app, response.get_json()["id"])["firm_id"] == world.b.id


def test_member_sees_only_its_own_person_row_and_cannot_write(app, world):
    http = app.test_client()
    headers = bearer(http, world.member)
    own = world.a_people[0]
    persons = http.get("/api/v1/person/", headers=headers).get_json()
    assert persons["count"] == 1 and persons["ids"] == [own]
    assert http.get(f"/api/v1/person/{own}", headers=headers).status_code == 200
    for other in (world.a_people[1], world.b_people[0]):
        assert http.get(f"/api/v1/person/{other}", headers=headers).status_code == 404
    total = _count(app, Person)
    response = http.post("/api/v1/person/", headers=headers, json=_new_person())
    assert response.status_code == 403
    assert _count(app, Person) == total
    before = _person(app, own)
    assert http.put(f"/api/v1/person/{own}", headers=headers,
                    json={"name": "改名"}).status_code == 403
    assert http.delete(f"/api/v1/person/{own}", headers=headers).status_code == 403
    assert _person(app, own) == before
    assert http.get("/api/v1/firm/", headers=headers).status_code == 403


# --- validation -----------------------------------------------------------------------

def test_bad_id_number_and_mobile_are_400_with_the_field_in_chinese(app, world):
    http = app.test_client()
    headers = bearer(http, world.a.admin)
    good = id_number(77)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    cases = [
        ({"id_number": bad_check}, "身份证号", "身份证号校验位不正确"),
        ({"id_number": "11010119850312"}, "身份证号", "身份证号应为18位"),
        ({"phone": "12345"}, "手机号", "手机号应为11位中国大陆手机号码"),
        ({"phone": "23800000009"}, "手机号", "手机号应为11位中国大陆手机号码"),
    ]
    total = _count(app, Person)
    for overrides, field, message in cases:
        response = http.post("/api/v1/person/", headers=headers,
                             json=_new_person(name="王校验", **overrides))
        assert response.status_code == 400, (overrides, response.get_json())
        body = response.get_json()
        assert body["field"] == field and message in body["message"], body
        assert _count(app, Person) == total
    assert _count(app, Person, name="王校验") == 0
    # the same checks on update, and the row is left as it was
    own = world.a_people[1]
    before = _person(app, own)
    response = http.put(f"/api/v1/person/{own}", headers=headers,
                        json={"name": "张二改", "phone": "12345"})
    assert response.status_code == 400
    assert "手机号应为11位中国大陆手机号码" in response.get_json()["message"]
    response = http.put(f"/api/v1/person/{own}", headers=headers,
                        json={"name": "张二改", "id_number": bad_check})
    assert response.status_code == 400
    assert "身份证号校验位不正确" in response.get_json()["message"]
    assert _person(app, own) == before
    # a valid 身份证号 goes through, normalised
    ok = http.post("/api/v1/person/", headers=headers,
                   json=_new_person(id_number=good.lower()))
    assert ok.status_code == 201, ok.get_json()
    assert _person(app, ok.get_json()["id"])["id_number"] == good.upper()


# --- first login gate -----------------------------------------------------------------

def test_firm_admin_before_first_login_gets_a_token_but_403_everywhere(app, make_client):
    firm = make_firm(app, "11010009", activated=False)
    http = app.test_client()
    assert api_login(http, firm.admin, PASSWORD).status_code == 401  # not its password yet
    headers = bearer(http, firm.admin, "010009")
    calls = [
        ("get", "/api/v1/person/", {}),
        ("get", "/api/v1/firm/", {}),
        ("get", f"/api/v1/firm/{firm.id}", {}),
        ("get", "/api/v1/person/_info", {}),
        ("post", "/api/v1/person/", {"json": _new_person()}),
        ("put", f"/api/v1/firm/{firm.id}", {"json": {"name": "改名"}}),
    ]
    for method, path, kwargs in calls:
        response = getattr(http, method)(path, headers=headers, **kwargs)
        assert response.status_code == 403, (method, path, response.status_code)
        message = response.get_json()["message"]
        assert message == FIRST_LOGIN_MESSAGE and _is_chinese(message)
    assert _count(app, Person) == 0

    # once the first login is done in the browser, the password is replaced: the token of
    # the initial password ends with it (issue 22), a token of the new password works
    web = make_client()
    web.login(firm.admin, "010009")
    done = web.post_form("/account/first-login/", {
        "contact_name": "王五", "contact_phone": "13812345678", "new_password": "abc12345",
        "repeat": "abc12345"})
    assert done.status_code == 302
    assert http.get("/api/v1/firm/", headers=headers).status_code == 401
    listed = http.get("/api/v1/firm/", headers=bearer(http, firm.admin, "abc12345"))
    assert listed.status_code == 200 and listed.get_json()["ids"] == [firm.id]


def test_staff_creates_a_firm_through_the_api_with_its_admin_account(app, world):
    http = app.test_client()
    headers = bearer(http, world.staff)
    response = http.post("/api/v1/firm/", headers=headers,
                         json={"code": "11019999", "name": "北京新设会计师事务所", "status": "正常"})
    assert response.status_code == 201, response.get_json()
    firm_id = response.get_json()["id"]
    with app.app_context():
        user = db.session.query(User).filter_by(username="P11019999").one()
        assert [r.name for r in user.roles] == [FIRM_ADMIN]
        assert user.account.firm_id == firm_id and user.account.must_change_password
    # initial password: the code's last 6 characters, and nothing else
    assert api_login(http, "P11019999", "11019999").status_code == 401
    admin = bearer(http, "P11019999", "019999")
    response = http.get("/api/v1/person/", headers=admin)
    assert response.status_code == 403
    assert response.get_json()["message"] == FIRST_LOGIN_MESSAGE
    assert http.get(f"/api/v1/firm/{firm_id}", headers=admin).status_code == 403


def test_invalid_firm_through_the_api_creates_no_account(app, world):
    http = app.test_client()
    headers = bearer(http, world.staff)
    response = http.post("/api/v1/firm/", headers=headers, json={"code": "1101", "name": "某所"})
    assert response.status_code == 400
    assert "事务所编号应为8位数字" in response.get_json()["message"]
    response = http.post("/api/v1/firm/", headers=headers,
                         json={"code": world.b.code, "name": "重复编号所"})
    assert response.status_code == 400 and "已存在" in response.get_json()["message"]
    assert _count(app, Firm) == 2
    with app.app_context():
        assert db.session.query(User).filter(User.username.in_(["P1101", "P" + world.b.code])
                                             ).count() == 1  # only B's own admin


# --- rate limiting ----------------------------------------------------------------------

def test_jwt_login_is_rate_limited(app, world):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    http = app.test_client()
    statuses = [api_login(http, world.a.admin, "Wrong0pass").status_code for _ in range(limit)]
    assert statuses == [401] * limit
    assert api_login(http, world.a.admin, "Wrong0pass").status_code == 429
    # the right password does not get past the limit either
    blocked = api_login(http, world.a.admin)
    assert blocked.status_code == 429
    assert "access_token" not in (blocked.get_json(silent=True) or {})


def test_swagger_ui_opens_for_signed_in_roles_only(app, world, make_client):
    anonymous = make_client().get("/swagger/v1")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    for login in (world.staff, world.a.admin, world.member):
        web = make_client()
        web.login(login)
        page = web.get("/swagger/v1")
        assert page.status_code == 200, (login, page.status_code)
        assert "/api/v1/_openapi" in page.get_data(as_text=True)
