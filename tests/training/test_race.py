"""Capacity is never exceeded and nobody is enrolled twice, even when 50 requests for the
last seats arrive at once: 50 threads, each with its own app context and so its own
database connection, start together at a barrier (SQLite here, PostgreSQL with
TEST_DATABASE_URL). Every request either gets a seat or a clear refusal; none fails with a
database error."""
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from app.extensions import db
from app.models import Enrollment
from app.workflows.core.errors import DomainError
from app.workflows.training import enrollment
from tests.helpers import NOW
from tests.training.common import form, make_class, user

REQUESTS = 50


def _race(app, class_id, applications):
    start = threading.Barrier(len(applications))
    outcomes = []

    def attempt(login, data):
        with app.app_context():
            actor = user(login)
            db.session.commit()  # give the connection back to the pool while waiting
            start.wait(timeout=60)
            try:
                enrollment.enroll(actor, NOW, class_id, data)
                outcomes.append("seated")
            except DomainError as error:
                outcomes.append(error.message)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(applications)) as pool:
        for future in [pool.submit(attempt, *a) for a in applications]:
            future.result()
    return outcomes


def _count(app, class_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Enrollment).where(
            Enrollment.class_id == class_id))


def test_fifty_requests_for_the_last_three_seats(app, world):
    with app.app_context():
        class_id = make_class(capacity="5")
        for n in range(2):  # two seats already taken
            enrollment.enroll(user(world.b.admin), NOW, class_id,
                              form(name=f"已报{n}", phone=f"1390000100{n}"))
    logins = (world.a.admin, world.b.admin)
    applications = [(logins[n % 2], form(name=f"抢位{n}", phone=f"188{n:08d}"))
                    for n in range(REQUESTS)]
    outcomes = _race(app, class_id, applications)
    assert outcomes.count("seated") == 3, outcomes
    refused = [o for o in outcomes if o != "seated"]
    assert len(refused) == REQUESTS - 3 and all("已报满" in o for o in refused), set(refused)
    assert _count(app, class_id) == 5


def test_fifty_requests_for_one_person_enroll_it_once(app, world):
    with app.app_context():
        class_id = make_class(capacity="100")
    cpa = {"person_kind": "注册会计师", "cert_number": "110100010001", "phone": "13800000001"}
    applications = [((world.a.admin, world.member)[n % 2], dict(cpa)) for n in range(REQUESTS)]
    outcomes = _race(app, class_id, applications)
    assert outcomes.count("seated") == 1, outcomes
    assert all("不能重复报名" in o for o in outcomes if o != "seated"), set(outcomes)
    assert _count(app, class_id) == 1


def test_fifty_http_requests_for_the_last_seats(app, world):
    """The same through the served app: 50 POST /api/v1/enrollment/ at once from two firms'
    admins (JWT), over real HTTP to a threaded server, as production serves them."""
    import json
    import urllib.error
    import urllib.request
    from unittest import mock

    from tests.helpers import PASSWORD, serving

    with app.app_context():
        class_id = make_class(capacity="4")
    with mock.patch("app.clock.now", return_value=NOW), serving(app) as base:
        def call(path, body, token=None):
            request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"})
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read() or b"{}")

        tokens = [call("/api/v1/security/login", {"username": login, "password": PASSWORD,
                                                  "provider": "db"})[1]["access_token"]
                  for login in (world.a.admin, world.b.admin)]
        start = threading.Barrier(REQUESTS)

        def attempt(n):
            start.wait(timeout=60)
            return call("/api/v1/enrollment/", {"class_id": class_id,
                                                **form(name=f"并发{n}", phone=f"187{n:08d}")},
                        tokens[n % 2])

        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            results = list(pool.map(attempt, range(REQUESTS)))
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 4, statuses
    refused = [body["message"] for status, body in results if status != 201]
    assert all(status in (201, 400) for status in statuses), statuses
    assert all("已报满" in m for m in refused), set(refused)
    assert _count(app, class_id) == 4
