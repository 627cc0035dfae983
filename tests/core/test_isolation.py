"""The isolation proof: every registered view, API and id-taking URL, found at run time.

For each actor (a firm admin of A, a member of A, an accounting institute's LMS account —
API only) every domain contributes, in tests/<domain>/isolation.py, rows the actor must
never reach and rows it must see (a domain that names no rows for the LMS account has
every row it declared foreign to it):

- ModelViews and ModelRestApis: list, show, edit, delete, export, actions, downloads and
  REST get/put/delete never reach a foreign row, and a foreign row keeps every column
  after the attempts to edit and delete it;
- every other URL rule with an id argument (custom pages, REST verbs) must declare what
  it is an id of (`@scoped_id(Model)`, or the API's model); each is tried with the
  foreign rows by GET and POST, and the rows stay as they were;
- the download leg uses real stored files (a refused download is the scope's doing);
- the positive leg: the actor does see its own rows wherever its role may look, so a
  wrong scope declaration (one that hides everything) fails here too.
A model with a view but no rows declared by any domain fails the suite.
"""
import importlib
import io
import re

import pytest
from werkzeug.routing import IntegerConverter
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.baseviews import BaseCRUDView
from flask_appbuilder.views import ModelView
from sqlalchemy import inspect

from app.domains import DOMAINS
from app.extensions import db
from app.roles import FIRM_ADMIN, INSTITUTE, MEMBER
from app.views.core.scoping import FilterRowScope, ScopedModelRestApi, ScopedModelView
from app.workflows.core.scoping import app_models
from tests.helpers import PASSWORD

ID_ARGUMENTS = re.compile(r"^(pk|id|\w+_id)$")
REFUSED = (302, 400, 403, 404, 405)


def domain_views(app):
    models = set(app_models(db.Model.registry))
    return [v for v in app.appbuilder.baseviews
            if getattr(getattr(v, "datamodel", None), "obj", None) in models]


def _matrix(world, app) -> dict:
    """{Model: {role: {"foreign": [(pk, marker)], "own": [(pk, marker)]}}} of every domain."""
    found = {}
    for name in (*DOMAINS, "core"):
        try:
            module = importlib.import_module(f"tests.{name}.isolation")
        except ModuleNotFoundError:
            continue
        for model, roles in module.rows(world, app).items():
            assert model not in found, f"{model.__name__} declared by two domains"
            if INSTITUTE not in roles:
                every = {row for role in roles.values() for leg in role.values() for row in leg}
                roles = {**roles, INSTITUTE: {"foreign": sorted(every), "own": []}}
            found[model] = roles
    return found


def _snapshot(app, model, pk):
    with app.app_context():
        row = db.session.get(model, pk)
        assert row is not None, f"{model.__name__} {pk} was deleted by a foreign actor"
        return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs}


def _role_can(app, role, permission, view_name):
    sm = app.appbuilder.sm
    with app.app_context():
        return sm._has_access_builtin_roles(sm.find_role(role), permission, view_name)


def _actors(world):
    from tests.learning.isolation import LMS_LOGIN  # created with the learning rows

    return {FIRM_ADMIN: world.a.admin, MEMBER: world.member, INSTITUTE: LMS_LOGIN}


def _xlsx_text(data):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
                     for c in row if c is not None)


# --- the views and APIs are all scoped, and every model with one has rows declared ----------

def test_every_domain_view_and_api_uses_the_scoping_mixins(app):
    views = domain_views(app)
    assert {"FirmView", "PersonView", "AuditLogView", "FirmApi", "PersonApi"} <= {
        type(v).__name__ for v in views}
    for view in views:
        assert isinstance(view, (ScopedModelView, ScopedModelRestApi)), type(view).__name__
        assert any(isinstance(flt, FilterRowScope) for flt in view._base_filters.filters), \
            f"{type(view).__name__} has no row-scope base filter"
    models = set(app_models(db.Model.registry))
    for view in app.appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if isinstance(view, (BaseCRUDView, ModelRestApi)) and model in models:
            assert isinstance(view, (ScopedModelView, ScopedModelRestApi))


def test_every_model_with_a_view_or_an_id_page_has_rows_declared(app, world):
    declared = _matrix(world, app)
    needed = {v.datamodel.obj for v in domain_views(app)}
    needed |= {model for _rule, model, _view in _id_rules(app)}
    missing = sorted(m.__name__ for m in needed if m not in declared)
    assert not missing, f"declare rows for {missing} in tests/<domain>/isolation.py"


# --- URL rules that carry an id ---------------------------------------------------------------

def _view_of(app, endpoint):
    name = endpoint.split(".")[0]
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return view
    return None


CRUD_METHODS = {"show", "edit", "delete", "action", "get", "put"}  # covered by the CRUD legs


def _id_rules(app):
    """(rule, model, view) for every custom URL rule taking an id; fails for one that does
    not say what the id is of."""
    models = set(app_models(db.Model.registry))
    undeclared = []
    for rule in app.url_map.iter_rules():
        ids = [a for a in rule.arguments if ID_ARGUMENTS.match(a)]
        if not ids or rule.endpoint.startswith(("static", "appbuilder")):
            continue
        view = _view_of(app, rule.endpoint)
        if view is None:
            continue
        function = app.view_functions[rule.endpoint]
        declared = getattr(function, "_scoped_id", None)
        model = declared[0] if declared else None
        if model is None and isinstance(view, (ModelView, ModelRestApi)):
            if rule.endpoint.split(".")[1] in CRUD_METHODS:
                continue
            model = view.datamodel.obj
        if model is None:
            if getattr(view, "datamodel", None) is None and type(view).__module__.startswith(
                    "flask_appbuilder"):
                continue  # FAB's own pages (security views): Admin-only by permission
            undeclared.append(rule.endpoint)
            continue
        if model in models:
            yield rule, model, view
    assert not undeclared, f"custom pages taking an id without @scoped_id(Model): {undeclared}"


def test_every_custom_page_with_an_id_declares_its_model(app):
    found = {rule.endpoint for rule, _model, _view in _id_rules(app)}
    assert {"MessageCenterView.show", "MessageCenterView.attachment",
            "MessageCenterView.consultation", "NoticeAdminView.edit",
            "TransferConfirmView.decide", "HelpCenterView.policy",
            "PersonTransferApi.fire_verb", "MessageApi.read"} <= found


def _fill(rule, pk):
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if ID_ARGUMENTS.match(argument):
            values[argument] = pk
        elif argument == "verb":
            values[argument] = "approve"
        elif argument == "decision":
            values[argument] = "confirm"
        else:
            values[argument] = 1 if isinstance(converter, IntegerConverter) else "x"
    url = rule.rule
    for argument, value in values.items():
        url = re.sub(rf"<[^>]*\b{argument}>", str(value), url)
    return url


def _jwt(app, login):
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    return http, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER, INSTITUTE])
def test_id_pages_and_verbs_never_reach_foreign_rows_and_show_own_ones(app, world,
                                                                        make_client, actor):
    login = _actors(world)[actor]
    matrix = _matrix(world, app)
    web = make_client()
    web.login(login)
    # an LMS account has no web session: its pages are tried signed out, its API with a token
    assert web.signed_in == (actor != INSTITUTE)
    http, bearer = _jwt(app, login)
    tried = seen = 0
    for rule, model, _view in _id_rules(app):
        api = rule.rule.startswith("/api/")
        for pk, marker in matrix[model][actor]["foreign"]:
            before = _snapshot(app, model, pk)
            url = _fill(rule, pk)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                if api:
                    response = http.open(url, method=method, headers=bearer, json={})
                elif method == "POST":
                    response = web.post_form(url, {"body": "越权", "remark": "越权"})
                else:
                    response = web.get(url)
                assert response.status_code in REFUSED, (url, method, response.status_code)
                assert marker not in response.get_data(as_text=True), (url, method)
                tried += 1
            assert _snapshot(app, model, pk) == before, (url, "changed a foreign row")
        if "GET" in (rule.methods or set()) and not rule.endpoint.endswith("verbs"):
            for pk, marker in matrix[model][actor]["own"]:
                url = _fill(rule, pk)
                response = http.get(url, headers=bearer) if api else web.get(url)
                if response.status_code in (302, 403):
                    continue  # the role may not use this page at all
                assert response.status_code == 200, (url, response.status_code)
                seen += 1
    assert tried >= 10 and seen >= (0 if actor == INSTITUTE else 3), (tried, seen)


# --- ModelViews -------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER])
def test_ui_views_never_reach_foreign_rows(app, world, make_client, actor):
    login = _actors(world)[actor]
    matrix = _matrix(world, app)
    client = make_client()
    assert client.login(login).status_code == 302 and client.signed_in
    checked = 0
    for view in domain_views(app):
        if not isinstance(view, ScopedModelView):
            continue
        base, name = view.route_base, type(view).__name__
        rows = matrix[view.datamodel.obj][actor]["foreign"]
        listing = client.get(f"{base}/list/")
        can_list = _role_can(app, actor, "can_list", name)
        assert (listing.status_code == 200) == can_list, (name, listing.status_code)
        html = listing.get_data(as_text=True)
        for export in ("csv", "xlsx"):
            response = client.get(f"{base}/export/{export}/")
            assert (response.status_code == 200) == _role_can(app, actor, "can_export", name)
            if response.status_code == 200:
                body = response.get_data()
                text = _xlsx_text(body) if export == "xlsx" else body.decode("utf-8-sig")
                for _pk, marker in rows:
                    assert marker not in text, (name, export, marker)
        for pk, marker in rows:
            checked += 1
            before = _snapshot(app, view.datamodel.obj, pk)
            if can_list:
                assert f"/show/{pk}\"" not in html and marker not in html, (name, pk)
            for path in (f"{base}/show/{pk}", f"{base}/edit/{pk}"):
                response = client.get(path)
                assert response.status_code in (302, 403, 404), (path, response.status_code)
                assert marker not in response.get_data(as_text=True)
                if _role_can(app, actor, "can_" + path.split("/")[-2], name):
                    assert response.status_code == 404, path
            assert client.post_form(f"{base}/edit/{pk}", {"name": "篡改", "title": "篡改"}
                                    ).status_code in REFUSED
            assert client.post_form(f"{base}/delete/{pk}").status_code in REFUSED
            for action in ("muldelete", *getattr(view, "actions", {}).keys()):
                assert client.get(f"{base}/action/{action}/{pk}").status_code in REFUSED
                assert client.post_form(f"{base}/action_post",
                                        {"action": action, "rowid": str(pk)}
                                        ).status_code in REFUSED
            assert client.get(f"{base}/download/{pk}.pdf").status_code in REFUSED
            assert _snapshot(app, view.datamodel.obj, pk) == before, (name, pk)
    assert checked >= 8


@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER])
def test_ui_views_show_the_actors_own_rows(app, world, make_client, actor):
    """The positive side: a scope that hid everything would pass the legs above."""
    login = _actors(world)[actor]
    matrix = _matrix(world, app)
    client = make_client()
    client.login(login)
    shown = 0
    for view in domain_views(app):
        if not isinstance(view, ScopedModelView):
            continue
        name = type(view).__name__
        own = matrix[view.datamodel.obj][actor]["own"]
        if not _role_can(app, actor, "can_list", name):
            continue
        html = client.get(f"{view.route_base}/list/").get_data(as_text=True)
        for pk, marker in own:
            assert marker in html, (name, pk, marker)
            if _role_can(app, actor, "can_show", name):
                assert client.get(f"{view.route_base}/show/{pk}").status_code == 200
            shown += 1
    assert shown >= {FIRM_ADMIN: 4, MEMBER: 1}[actor]


# --- REST -------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER, INSTITUTE])
def test_rest_apis_never_reach_foreign_rows_and_show_own_ones(app, world, actor):
    login = _actors(world)[actor]
    matrix = _matrix(world, app)
    http, headers = _jwt(app, login)
    checked = seen = 0
    for view in domain_views(app):
        if not isinstance(view, ScopedModelRestApi):
            continue
        name, url = type(view).__name__, f"/api/v1/{view.resource_name}/"
        rows = matrix[view.datamodel.obj][actor]
        listing = http.get(url, headers=headers)
        if _role_can(app, actor, "can_get", name):
            assert listing.status_code == 200, (url, listing.status_code)
            ids = set(listing.get_json()["ids"])
            assert not ids & {pk for pk, _ in rows["foreign"]}, (name, ids)
            for pk, _marker in rows["own"]:
                assert pk in ids, (name, pk, "own row hidden: is the scope declared right?")
                assert http.get(f"{url}{pk}", headers=headers).status_code == 200
                seen += 1
        else:
            assert listing.status_code in (401, 403)
        for pk, marker in rows["foreign"]:
            checked += 1
            before = _snapshot(app, view.datamodel.obj, pk)
            for method in ("get", "put", "delete"):
                kwargs = {"json": {"name": "篡改"}} if method == "put" else {}
                response = getattr(http, method)(f"{url}{pk}", headers=headers, **kwargs)
                assert response.status_code in (401, 403, 404, 405), (method, url, pk,
                                                                      response.status_code)
                assert marker not in response.get_data(as_text=True)
            assert _snapshot(app, view.datamodel.obj, pk) == before
    assert checked >= 3 and seen >= 2


def test_rest_info_offers_only_visible_related_rows(app, world):
    """/_info lists the choices of related fields (e.g. the firm of a person)."""
    http, headers = _jwt(app, world.a.admin)
    info = http.get("/api/v1/person/_info", headers=headers)
    assert info.status_code == 200
    assert "Project-Id-Version" not in info.get_data(as_text=True)  # no catalog header leaks
    fields = {f["name"]: f for f in info.get_json()["add_columns"]}
    assert {v["id"] for v in fields["firm"]["values"]} == {world.a.id}


@pytest.mark.parametrize("who", ["staff", "firm_admin", "member"])
def test_every_role_reads_the_openapi_document(app, world, who):
    login = {"staff": world.staff, "firm_admin": world.a.admin, "member": world.member}[who]
    http, headers = _jwt(app, login)
    spec = http.get("/api/v1/_openapi", headers=headers)
    assert spec.status_code == 200
    paths = set(spec.get_json()["paths"])
    assert {"/api/v1/person/", "/api/v1/firm/"} <= paths
    # one path per state-machine verb, not a generic /{pk}/{verb}
    assert {"/api/v1/person_transfer/{pk}/approve", "/api/v1/person_transfer/{pk}/confirm"
            } <= paths and "/api/v1/person_transfer/{pk}/{verb}" not in paths
