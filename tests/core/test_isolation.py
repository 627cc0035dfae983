"""The isolation proof: every registered view and API, enumerated at run time.

For each ModelView and ModelRestApi on a domain model, a firm admin of firm A (and a
member of A) must not list, show, edit, delete, export, download or act on a row
it may not see. A future view that forgets the scoping mixins, or a domain model
with a view but no entry in FOREIGN_ROWS below, fails this suite.
"""
import pytest
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.baseviews import BaseCRUDView

from app.extensions import db
from app.models import AuditLog, Firm, Person
from app.roles import FIRM_ADMIN, MEMBER
from app.views.core.scoping import FilterRowScope, ScopedModelRestApi, ScopedModelView
from tests.helpers import B_CLERK, PASSWORD


def domain_models():
    return {m.class_ for m in db.Model.registry.mappers if m.class_.__module__.startswith("app.")}


def domain_views(app):
    models = domain_models()
    return [v for v in app.appbuilder.baseviews
            if getattr(getattr(v, "datamodel", None), "obj", None) in models]


# model -> (actor -> rows that actor must never reach: (pk, text that would betray it))
def _foreign_rows(world, app):
    with app.app_context():
        audit_rows = [(r.id, r.username) for r in
                      db.session.query(AuditLog).filter_by(username=B_CLERK).limit(3)]
        people = {p.id: p.name for p in db.session.query(Person)}
    b_people = [(pid, people[pid]) for pid in world.b_people]
    a_others = [(pid, people[pid]) for pid in world.a_people[1:]]
    return {
        Firm: {FIRM_ADMIN: [(world.b.id, world.b.name)],
               MEMBER: [(world.b.id, world.b.name), (world.a.id, world.a.name)]},
        Person: {FIRM_ADMIN: b_people, MEMBER: b_people + a_others},
        AuditLog: {FIRM_ADMIN: audit_rows, MEMBER: audit_rows},
        **_operations_rows(app),
        **_message_centre_rows(world, app),
        **_help_centre_rows(app),
        **_transfer_rows(world, app),
    }


def _transfer_rows(world, app):
    """A move firm A asked for of B's person: A must learn nothing of it (not even the
    name), nor may another member see it; only the person and staff do."""
    import datetime as dt

    from app.models import PersonTransfer

    moment = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    with app.app_context():
        transfer = db.session.query(PersonTransfer).filter_by(person_id=world.b_people[1]).first()
        if transfer is None:
            transfer = PersonTransfer(person_id=world.b_people[1], from_firm_id=world.b.id,
                                      to_firm_id=world.a.id, requested_at=moment,
                                      expires_at=moment + dt.timedelta(days=30), status="待确认")
            db.session.add(transfer)
            db.session.commit()
        pairs = [(transfer.id, db.session.get(Person, world.b_people[1]).name)]
    return {PersonTransfer: {FIRM_ADMIN: pairs, MEMBER: pairs}}


def _help_centre_rows(app):
    """Help centre (issue 3): staff maintain these through ScopedModelViews that firm admins
    and members never reach (they read them through /help/); suggestions are never shown."""
    import datetime as dt

    from app.models import FaqEntry, HelpDocument, PolicyText, Suggestion

    moment = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    with app.app_context():
        suggestion = db.session.query(Suggestion).filter_by(content="乙所的私密建议").first()
        if suggestion is None:
            db.session.add_all([
                Suggestion(content="乙所的私密建议", user_id=None, created_at=moment),
                HelpDocument(kind="操作手册", title="维护视图中的手册", created_at=moment),
                PolicyText(title="维护视图中的政策", body="正文", created_at=moment),
                FaqEntry(question="维护视图中的问答", answer="答案", created_at=moment),
            ])
            db.session.commit()
        rows = {
            Suggestion: (db.session.query(Suggestion).filter_by(content="乙所的私密建议"), "content"),
            HelpDocument: (db.session.query(HelpDocument).filter_by(title="维护视图中的手册"), "title"),
            PolicyText: (db.session.query(PolicyText).filter_by(title="维护视图中的政策"), "title"),
            FaqEntry: (db.session.query(FaqEntry).filter_by(question="维护视图中的问答"), "question"),
        }
        found = {model: [(row.id, getattr(row, column)) for row in query]
                 for model, (query, column) in rows.items()}
    return {model: {FIRM_ADMIN: pairs, MEMBER: pairs} for model, pairs in found.items()}


def _message_centre_rows(world, app):
    """Messages and consultations of others (issue 3): B's, and A's other users'."""
    from flask_appbuilder.security.sqla.models import User

    from app.models import Consultation, Message
    from app.workflows import messages
    from tests.helpers import NOW

    def user(username):
        return db.session.query(User).filter_by(username=username).one()

    with app.app_context():
        if not db.session.query(Message).filter_by(title="乙所管理员的消息").count():
            messages.notify([user(world.b.admin)], "乙所管理员的消息", "", NOW)
            messages.notify([user(world.a.admin)], "甲所管理员的消息", "", NOW)
            messages.notify([user(world.member)], "甲所会员的消息", "", NOW)
            messages.start_consultation(user(world.b.admin), NOW, "其他", "乙所的咨询")
            messages.start_consultation(user(world.a.admin), NOW, "其他", "甲所管理员的咨询")
            messages.start_consultation(user(world.member), NOW, "其他", "甲所会员的私人咨询")
            db.session.commit()
        found = {m.title: m.id for m in db.session.query(Message)}
        found.update({c.subject: c.id for c in db.session.query(Consultation)})
    rows = lambda *titles: [(found[t], t) for t in titles]  # noqa: E731
    return {
        Message: {FIRM_ADMIN: rows("乙所管理员的消息", "甲所会员的消息"),
                  MEMBER: rows("乙所管理员的消息", "甲所管理员的消息")},
        Consultation: {FIRM_ADMIN: rows("乙所的咨询", "甲所会员的私人咨询"),
                       MEMBER: rows("乙所的咨询", "甲所管理员的咨询")},
    }


def _operations_rows(app):
    """A job run and an outbox mail: the institute's, never a firm's or a member's."""
    import datetime as dt

    from app.models import JobRun, OutboxMail

    moment = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    with app.app_context():
        run = db.session.query(JobRun).filter_by(job="probe_secret_job").first()
        mail = db.session.query(OutboxMail).filter_by(subject="乙所机密邮件").first()
        if run is None:
            run = JobRun(job="probe_secret_job", trigger="cli", as_of=moment, started_at=moment,
                         outcome="成功", counts="{}")
            mail = OutboxMail(to_addr="secret@b.example", subject="乙所机密邮件", body="x",
                              status="发送失败", attempts=5, next_attempt_at=moment,
                              created_at=moment)
            db.session.add_all([run, mail])
            db.session.commit()
        rows = {JobRun: [(run.id, "probe_secret_job")], OutboxMail: [(mail.id, "乙所机密邮件")]}
    return {model: {FIRM_ADMIN: found, MEMBER: found} for model, found in rows.items()}


def _role_can(app, role, permission, view_name):
    sm = app.appbuilder.sm
    with app.app_context():
        role_obj = sm.find_role(role)
        return sm._has_access_builtin_roles(role_obj, permission, view_name)


def test_every_domain_view_and_api_uses_the_scoping_mixins(app):
    views = domain_views(app)
    names = {type(v).__name__ for v in views}
    assert {"FirmView", "PersonView", "AuditLogView", "FirmApi", "PersonApi"} <= names
    for view in views:
        assert isinstance(view, (ScopedModelView, ScopedModelRestApi)), type(view).__name__
        assert any(isinstance(flt, FilterRowScope) for flt in view._base_filters.filters), \
            f"{type(view).__name__} has no row-scope base filter"
    # FAB CRUD views or APIs on domain models that bypass the mixins would be missed above
    for view in app.appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if isinstance(view, (BaseCRUDView, ModelRestApi)) and model in domain_models():
            assert isinstance(view, (ScopedModelView, ScopedModelRestApi))


def test_every_domain_model_with_a_view_has_foreign_rows_declared(app, world):
    declared = _foreign_rows(world, app)
    for view in domain_views(app):
        assert view.datamodel.obj in declared, (
            f"{view.datamodel.obj.__name__}: add it to FOREIGN_ROWS in this test")


def _actors(world):
    return [(FIRM_ADMIN, world.a.admin), (MEMBER, world.member)]


@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER])
def test_ui_views_never_reach_foreign_rows(app, world, make_client, actor):
    login = dict(_actors(world))[actor]
    foreign = _foreign_rows(world, app)
    client = make_client()
    assert client.login(login).status_code == 302 and client.signed_in
    checked = 0
    for view in domain_views(app):
        if not isinstance(view, ScopedModelView):
            continue
        base = view.route_base
        name = type(view).__name__
        rows = foreign[view.datamodel.obj][actor]
        assert rows, f"no foreign rows to try on {name}"
        listing = client.get(f"{base}/list/")
        can_list = _role_can(app, actor, "can_list", name)
        assert (listing.status_code == 200) == can_list, (name, listing.status_code)
        html = listing.get_data(as_text=True)
        for export in ("csv", "xlsx"):
            response = client.get(f"{base}/export/{export}/")
            assert (response.status_code == 200) == _role_can(app, actor, "can_export", name)
            if response.status_code == 200:
                body = response.get_data()
                if export == "xlsx":
                    body = _xlsx_text(body)
                else:
                    body = body.decode("utf-8-sig")
                for _pk, marker in rows:
                    assert marker not in body, (name, export, marker)
        for pk, marker in rows:
            checked += 1
            if can_list:
                assert f"/show/{pk}\"" not in html and marker not in html, (name, pk)
            for path in (f"{base}/show/{pk}", f"{base}/edit/{pk}"):
                response = client.get(path)
                assert response.status_code in (302, 403, 404), (path, response.status_code)
                assert marker not in response.get_data(as_text=True)
                if _role_can(app, actor, "can_" + path.split("/")[-2], name):
                    assert response.status_code == 404, path
            assert client.post_form(f"{base}/edit/{pk}", {"name": "篡改"}).status_code in (
                302, 403, 404)
            assert client.post_form(f"{base}/delete/{pk}").status_code in (302, 403, 404)
            assert client.get(f"{base}/action/muldelete/{pk}").status_code in (302, 404)
            response = client.post_form(f"{base}/action_post",
                                        {"action": "muldelete", "rowid": str(pk)})
            assert response.status_code in (302, 403, 404)
            assert client.get(f"{base}/download/{pk}.pdf").status_code in (302, 403, 404)
            _assert_unchanged(app, view.datamodel.obj, pk, marker)
    assert checked >= 4


def _xlsx_text(data):
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
                     for c in row if c is not None)


def _assert_unchanged(app, model, pk, marker):
    with app.app_context():
        row = db.session.get(model, pk)
        assert row is not None, f"{model.__name__} {pk} was deleted by a foreign actor"
        if hasattr(row, "name"):
            assert row.name == marker


@pytest.mark.parametrize("actor", [FIRM_ADMIN, MEMBER])
def test_rest_apis_never_reach_foreign_rows(app, world, actor):
    login = dict(_actors(world))[actor]
    foreign = _foreign_rows(world, app)
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    checked = 0
    for view in domain_views(app):
        if not isinstance(view, ScopedModelRestApi):
            continue
        name = type(view).__name__
        url = f"/api/v1/{view.resource_name}/"
        rows = foreign[view.datamodel.obj][actor]
        listing = http.get(url, headers=headers)
        if _role_can(app, actor, "can_get", name):
            assert listing.status_code == 200, (url, listing.status_code)
            ids = set(listing.get_json()["ids"])
            assert not ids & {pk for pk, _ in rows}, (name, ids)
        else:
            assert listing.status_code in (401, 403)
        for pk, marker in rows:
            checked += 1
            for method in ("get", "put", "delete"):
                kwargs = {"json": {"name": "篡改"}} if method == "put" else {}
                response = getattr(http, method)(f"{url}{pk}", headers=headers, **kwargs)
                assert response.status_code in (401, 403, 404), (method, url, pk,
                                                                 response.status_code)
                assert marker not in response.get_data(as_text=True)
            _assert_unchanged(app, view.datamodel.obj, pk, marker)
    assert checked >= 3


def test_firm_admin_sees_its_own_rows(app, world, make_client):
    """The positive side: scoping must not hide a firm's own rows (else the above proves nothing)."""
    client = make_client()
    client.login(world.a.admin)
    html = client.get("/personview/list/").get_data(as_text=True)
    for pid in world.a_people:
        assert f"/personview/show/{pid}" in html
    assert client.get(f"/personview/show/{world.a_people[1]}").status_code == 200


def test_rest_info_offers_only_visible_related_rows(app, world):
    """/_info lists the choices of related fields (e.g. the firm of a person)."""
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": world.a.admin, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    info = http.get("/api/v1/person/_info", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200
    assert "Project-Id-Version" not in info.get_data(as_text=True)  # no catalog header leaks
    fields = {f["name"]: f for f in info.get_json()["add_columns"]}
    firm_ids = {v["id"] for v in fields["firm"]["values"]}
    assert firm_ids == {world.a.id}


@pytest.mark.parametrize("who", ["staff", "firm_admin", "member"])
def test_every_role_reads_the_openapi_document(app, world, who):
    login = {"staff": world.staff, "firm_admin": world.a.admin, "member": world.member}[who]
    http = app.test_client()
    token = http.post("/api/v1/security/login", json={
        "username": login, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    spec = http.get("/api/v1/_openapi", headers={"Authorization": f"Bearer {token}"})
    assert spec.status_code == 200
    assert {"/api/v1/person/", "/api/v1/firm/"} <= set(spec.get_json()["paths"])
