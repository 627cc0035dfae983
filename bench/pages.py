"""pages — CPU per list page, through the test client, next to its floor.

A fresh SQLite database migrated by Alembic, 10 firms with 30 persons each; staff, a firm's
administrator (past its first login) and anonymous ask for a page `--requests` times per
run, `--runs` runs; the figure is the median run's CPU time (time.process_time: this
process only, so other work on the machine does not count) per request. The floor: the SQL
statements the page sent (captured from one request) replayed on the same connection
through the DB-API with their parameters and nothing else — what any page showing that
data must at least spend. Pages:

    staff person list   /personview/list/   (协会工作人员: every firm's persons)
    firm admin list     /personview/list/   (事务所管理员: its own persons)
    login page          /login/             (anonymous)

    python -m bench.pages [--runs 7] [--requests 40]
"""
import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench2026pass"
FIRMS, PERSONS_PER_FIRM = 10, 30
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def fresh(directory: Path):
    """The app on a migrated, filled database; the logins of staff and of firm 1's admin."""
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from app.models import Firm, Person, PersonType
    from app.passwords import hash_password
    from app.roles import STAFF
    from app.workflows import accounts, registry
    from config import TestConfig

    class Config(TestConfig):
        TESTING = False
        INSTANCE_DIR = directory
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.db'}"
        UPLOAD_FOLDER = str(directory / "uploads")
        RATELIMIT_ENABLED = False

    with create_app(Config).app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    app = create_app(Config)
    now = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        for n in range(1, FIRMS + 1):
            firm = Firm(code=f"3101{n:04d}", name=f"上海第{n}会计师事务所", status="active",
                        contact_name="联系人", contact_phone=f"1390000{n:04d}")
            registry.clean_firm(firm, creating=True)
            registry.on_firm_created(firm, now)
            db.session.add(firm)
            db.session.flush()
            for i in range(PERSONS_PER_FIRM):
                db.session.add(Person(
                    person_type=PersonType.OTHER, name=f"人员{n:02d}{i:02d}", firm_id=firm.id,
                    phone=f"13{n:03d}{i:06d}", position="审计员", status="active",
                    imported_at=now))
        accounts.create_account(username="bench_staff", display_name="基准测试", role_name=STAFF,
                                password=PASSWORD, now=now, must_change_password=False)
        firm_admin = "P31010001"
        from flask_appbuilder.security.sqla.models import User

        user = db.session.query(User).filter_by(username=firm_admin).one()
        user.password = hash_password(PASSWORD)
        user.account.must_change_password = False
        db.session.commit()
    return app, "bench_staff", firm_admin


def _client(app, login):
    client = app.test_client()
    if login:
        page = client.get("/login/").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        response = client.post("/login/", data={"username": login, "password": PASSWORD,
                                                "csrf_token": token})
        assert response.status_code == 302 and "/login" not in response.headers["Location"], \
            f"{login} could not sign in"
    return client


def captured(app, client, path):
    """(status, the statements the page sent with their parameters, the engine), in-process
    (bench/pages_scale.py replays them too)."""
    from sqlalchemy import event

    from app.extensions import db

    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return status, sent, engine


def _floor(app, client, path) -> tuple[float, int]:
    """CPU seconds of the page's own SQL, replayed through the DB-API."""
    status, sent, engine = captured(app, client, path)
    assert status == 200
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.process_time()
        for statement, parameters in sent:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        spent = time.process_time() - started
        raw.rollback()
    finally:
        raw.close()
    return spent, len(sent)


def measure(runs: int, requests: int) -> list[dict]:
    """Each page with the permission checks memoised per request (as served), then the same
    page with FAB's own checks on every call (PERMISSION_MEMO off), in the same run."""
    with tempfile.TemporaryDirectory() as tmp:
        app, staff, firm_admin = fresh(Path(tmp))
        results = []
        pages = [("staff person list", staff, "/personview/list/"),
                 ("firm admin list", firm_admin, "/personview/list/"),
                 ("login page", None, "/login/")]
        for memo, (label, login, path) in [(m, p) for m in (False, True) for p in pages]:
            app.config["PERMISSION_MEMO"] = memo
            label = f"{label}{'' if memo else ' (FAB checks)'}"
            client = _client(app, login)
            page = client.get(path)
            assert page.status_code == 200, (label, page.status_code)
            per_run, floors = [], []
            for _ in range(runs):
                started = time.process_time()
                for _ in range(requests):
                    client.get(path)
                per_run.append((time.process_time() - started) / requests)
                floor, statements = _floor(app, client, path)
                floors.append(floor)
            results.append({"page": label, "path": path, "memo": memo,
                            "ms": statistics.median(per_run) * 1000,
                            "floor_ms": statistics.median(floors) * 1000,
                            "statements": statements})
        return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    results = measure(args.runs, args.requests)
    print(f"pages — CPU ms per request (median of {args.runs} runs of {args.requests}),"
          " next to its SQL alone")
    print(f"  {'page':<33} {'path':<18} {'ms':>7} {'floor ms':>9} {'ratio':>7} {'SQL':>4}")
    for r in results:
        print(f"  {r['page']:<33} {r['path']:<18} {r['ms']:>7.2f} {r['floor_ms']:>9.2f} "
              f"{r['ms'] / max(r['floor_ms'], 1e-6):>6.1f}× {r['statements']:>4}")
    plain = {r["page"]: r for r in results if not r["memo"]}
    for r in results:
        if r["memo"]:
            before = plain[f"{r['page']} (FAB checks)"]
            print(f"  memoised permission checks, {r['page']}: {before['ms']:.2f} → "
                  f"{r['ms']:.2f} ms CPU ({r['ms'] / before['ms']:.2f}×), SQL "
                  f"{before['statements']} → {r['statements']}")


if __name__ == "__main__":
    main()
