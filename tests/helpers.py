"""Test helpers: a CSRF-aware web client and builders of firms, persons and accounts.

Builders open their own short app context and return plain values (ids, logins),
so tests never hold an app context while making requests (FAB_NOTES: a login can
leak between clients through a shared `g`).
"""
import datetime as dt
import logging
import re
import threading
from contextlib import contextmanager
from types import SimpleNamespace

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select
from werkzeug.serving import make_server

from app.models import PersonStatus
from app.models import FirmStatus
from app.workflows.core import audit
from app.extensions import db
from app.models import Firm, Person, PersonType
from app.passwords import hash_password
from app.roles import ADMIN, MEMBER, STAFF
from app.workflows import accounts, registry
from app.workflows.core.identifiers import id_check_char

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
PASSWORD = "Passw0rd2026"
B_CLERK = "乙所录入员"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def id_number(serial: int, birth: str = "19850312", area: str = "110101") -> str:
    first17 = f"{area}{birth}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


class WebClient:
    """Flask test client that signs in through the real form and sends CSRF tokens."""

    def __init__(self, client):
        self.client = client
        self._token = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def token(self):
        """The session's CSRF token, read from a page every role can open."""
        if self._token is None:
            path = "/account/password/" if self.signed_in else "/login/"
            page = self.client.get(path, follow_redirects=True).get_data(as_text=True)
            match = CSRF_RE.search(page)
            assert match, f"no csrf_token on {path}"
            self._token = match.group(1)
        return self._token

    signed_in = False

    def login(self, username, password=PASSWORD):
        self._token, self.signed_in = None, False
        response = self.client.post(
            "/login/",
            data={"username": username, "password": password, "csrf_token": self.token()},
        )
        self._token = None
        self.signed_in = response.status_code == 302 and "/login" not in response.headers.get(
            "Location", "")
        return response

    def logout(self):
        """退出系统: a POST with the page's CSRF token (a GET is refused)."""
        token = self.token() if self.signed_in else None
        self._token, self.signed_in = None, False
        if token is None:
            return self.client.post("/logout/", data={"csrf_token": self.token()})
        return self.client.post("/logout/", data={"csrf_token": token})

    def post_form(self, path, data=None, **kwargs):
        """POST a form with the session's CSRF token."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(path, data=data, **kwargs)


def make_firm(app, code, name=None, *, activated=True):
    """A firm through the real workflow (so its admin P+code exists).

    activated: the admin has done its first login (password PASSWORD, contact filled in).
    """
    with app.app_context():
        firm = Firm(code=code, name=name or f"测试会计师事务所{code}", status=FirmStatus.ACTIVE)
        registry.clean_firm(firm, creating=True)
        registry.on_firm_created(firm, NOW)
        db.session.add(firm)
        db.session.flush()
        if activated:
            firm.contact_name = "联系人"
            firm.contact_phone = "139" + code
            user = _user(firm.admin_username)
            user.password = hash_password(PASSWORD)
            user.account.must_change_password = False
        db.session.commit()
        return SimpleNamespace(id=firm.id, code=code, name=firm.name, admin=firm.admin_username)


def _user(username):
    return db.session.query(User).filter_by(username=username).one()


def make_person(app, firm_id, name, *, person_type=PersonType.OTHER, phone=None, serial=None,
                cert_number=None, position="审计员", status=PersonStatus.ACTIVE):
    with app.app_context():
        person = Person(person_type=person_type, name=name, firm_id=firm_id, phone=phone,
                        id_number=id_number(serial) if serial is not None else None,
                        cert_number=cert_number, position=position, status=status,
                        imported_at=NOW if firm_id else None)  # on the firm's roster
        registry.clean_person(person, NOW)
        db.session.add(person)
        db.session.commit()
        return person.id


def make_user(app, username, role, *, firm_id=None, person_id=None, activated=True):
    with app.app_context():
        firm = db.session.get(Firm, firm_id) if firm_id else None
        person = db.session.get(Person, person_id) if person_id else None
        accounts.create_account(username=username, display_name=username, role_name=role,
                                password=PASSWORD, now=NOW, firm=firm, person=person,
                                must_change_password=not activated)
        db.session.commit()
        return username


def build_world(app):
    """Firm A and firm B with three people each, plus staff, admin and a member of A."""
    a = make_firm(app, "11010001", "北京甲会计师事务所（特殊普通合伙）")
    with audit.acting_as(B_CLERK):  # B's audit rows carry a name no page shows by chance
        b = make_firm(app, "11010002", "北京乙会计师事务所有限公司")
    a_people = [
        make_person(app, a.id, "张一", phone="13800000001", serial=1,
                    person_type=PersonType.CPA, cert_number="110100010001", position="合伙人"),
        make_person(app, a.id, "张二", phone="13800000002", serial=2),
        make_person(app, a.id, "张三", phone="13800000003", serial=3, position="助理"),
    ]
    b_people = [
        make_person(app, b.id, "李一", phone="13900000001", serial=11,
                    person_type=PersonType.CPA, cert_number="110100020001", position="合伙人"),
        make_person(app, b.id, "李二", phone="13900000002", serial=12),
        make_person(app, b.id, "李三", phone="13900000003", serial=13, position="助理"),
    ]
    staff = make_user(app, "staff1", STAFF)
    admin = make_user(app, "admin1", ADMIN)
    member = make_user(app, "110100010001", MEMBER, firm_id=a.id, person_id=a_people[0])
    return SimpleNamespace(a=a, b=b, a_people=a_people, b_people=b_people, staff=staff,
                           admin=admin, member=member)


@contextmanager
def serving(app):
    """The app on a free 127.0.0.1 port, threaded like production; yields its base URL."""
    log = logging.getLogger("werkzeug")
    level = log.level
    log.setLevel(logging.WARNING)  # not one access-log line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        log.setLevel(level)


def new_firm(session, code="11010077"):
    """A firm (and its admin P+code) through the workflow, inside the caller's app context."""
    firm = Firm(code=code, name=f"测试所{code}", status=FirmStatus.ACTIVE)
    registry.clean_firm(firm, creating=True)
    registry.on_firm_created(firm, NOW)
    session.add(firm)
    session.commit()
    return firm


def admin_of(session, firm):
    return session.execute(select(User).where(User.username == "P" + firm.code)).scalar_one()


def past_first_login(app) -> None:
    """Every account past its first login (the forced password change and, for a firm
    admin, the firm's contact): for tests of what comes after it."""
    from app.models import Account

    with app.app_context():
        db.session.query(Account).update({"must_change_password": False})
        db.session.query(Firm).update({"contact_name": "王会计", "contact_phone": "13800001111"})
        db.session.commit()
