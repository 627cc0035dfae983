"""Shared fixtures: one app per session on a migrated database, cleaned after each test.

The database is SQLite (a file, so threaded servers share it) unless TEST_DATABASE_URL
names another (CI runs the suite again on PostgreSQL). The schema comes from
`flask db upgrade`, as in production — never from create_all — run once per test run into
a template that every pytest-xdist worker copies: the SQLite file is copied, a PostgreSQL
worker gets `CREATE DATABASE <name>_<worker> TEMPLATE <name>_template` (TEST_DATABASE_URL
names the base database, which is only connected to for creating the others).
"""
import copy
import fcntl
import os
import pickle
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from config import TestConfig, normalize_database_url
from tests.helpers import WebClient

KEEP_TABLES = {
    "alembic_version", "ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
    "ab_permission_view_role",
}


@event.listens_for(Engine, "connect")
def _throwaway_sqlite(dbapi_connection, _record):
    """The test database is thrown away after the run: no fsync for it (SQLite only; a
    PostgreSQL test connection sets synchronous_commit=off through its options)."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def worker_id() -> str:
    """gw0, gw1 … under pytest-xdist; "main" in a single process."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@contextmanager
def _run_lock(root: Path):
    """One process of this run at a time (the workers share `root`)."""
    with open(root / "template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def once_per_run(root: Path, name: str, build):
    """`build()`'s value (picklable): built by the first process of the run that asks (under
    a lock of its own, `name`.lock), kept in `root`/`name`.pickle and read by the others."""
    path = root / f"{name}.pickle"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.exists():
                data = pickle.dumps(build())
                (root / f"{name}.tmp").write_bytes(data)
                (root / f"{name}.tmp").replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return pickle.loads(path.read_bytes())


def app_on(url: str, folder: Path):
    """Another application (its own engine and upload folder) on the database at `url`."""
    from app import create_app

    class Config(TestConfig):
        INSTANCE_DIR = folder
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(folder / "uploads")

    return create_app(Config)


def _migrate(url: str, instance: Path) -> None:
    import flask_migrate

    from app import create_app
    from app.extensions import db

    class Config(TestConfig):
        INSTANCE_DIR = instance
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(instance / "uploads")

    with create_app(Config).app_context():  # an empty database: no permissions to sync yet
        flask_migrate.upgrade()
        db.engine.dispose()


def pg_database(url: str, name: str) -> str:
    """`url` naming database `name` instead."""
    return f"{url.rpartition('/')[0]}/{name}"


def _admin_engine(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _worker_postgres(url: str, root: Path) -> str:
    """A database for this worker, copied from `<base>_template` (migrated once per run)."""
    base = url.rpartition("/")[2]
    template, mine = f"{base}_template", f"{base}_{worker_id()}"
    with _run_lock(root):
        admin = _admin_engine(url)
        with admin.connect() as conn:
            if not (root / "template.done").exists():
                conn.execute(text(f"DROP DATABASE IF EXISTS {template}"))
                conn.execute(text(f"CREATE DATABASE {template}"))
                _migrate(pg_database(url, template), root / "template-instance")
                (root / "template.done").touch()
            conn.execute(text(f"DROP DATABASE IF EXISTS {mine}"))
            conn.execute(text(f"CREATE DATABASE {mine} TEMPLATE {template}"))
        admin.dispose()
    return pg_database(url, mine)


def _worker_sqlite(root: Path, instance: Path) -> str:
    """A copy of the run's template file, migrated once per run."""
    template = root / "template.db"
    with _run_lock(root):
        if not (root / "template.done").exists():
            _migrate(f"sqlite:///{template}", root / "template-instance")
            (root / "template.done").touch()
    shutil.copyfile(template, instance / "test.db")
    return f"sqlite:///{instance / 'test.db'}"


@pytest.fixture(scope="session")
def run_root(tmp_path_factory) -> Path:
    """A directory shared by every worker of this run (each worker's base temp is inside)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id() != "main" else base


def clone_database(test_config, source_url: str, name: str, folder: Path) -> str:
    """A copy of the database at `source_url` (no connection may be open to it), called
    `name`: a file in `folder` for SQLite, `CREATE DATABASE name TEMPLATE …` on PostgreSQL."""
    if source_url.startswith("postgresql"):
        with _run_lock(test_config.RUN_ROOT):
            admin = _admin_engine(test_config.SQLALCHEMY_DATABASE_URI)
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
                conn.execute(text(
                    f"CREATE DATABASE {name} TEMPLATE {source_url.rpartition('/')[2]}"))
            admin.dispose()
        return pg_database(source_url, name)
    target = folder / f"{name}.db"
    shutil.copyfile(source_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def test_config(tmp_path_factory, run_root):
    instance = tmp_path_factory.mktemp("instance")
    requested = normalize_database_url(os.environ.get("TEST_DATABASE_URL") or "")
    options = {"pool_pre_ping": True}
    if requested.startswith("postgresql"):
        url = _worker_postgres(requested, run_root)
        # a commit need not wait for the disk: the database is thrown away after the run
        options["connect_args"] = {"options": "-c synchronous_commit=off"}
    else:
        url = _worker_sqlite(run_root, instance)

    class Config(TestConfig):
        INSTANCE_DIR = instance
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = options
        UPLOAD_FOLDER = str(instance / "uploads")
        RUN_ROOT = run_root
        TEMPLATE_DATABASE_URI = (pg_database(url, f"{requested.rpartition('/')[2]}_template")
                                 if requested.startswith("postgresql")
                                 else f"sqlite:///{run_root / 'template.db'}")

    return Config


@pytest.fixture(scope="session")
def app(test_config):
    """The application, on a copy of the database migrated by Alembic."""
    from app import create_app

    return create_app(test_config)


class _Cleaner:
    """Empties, after each test, the tables that hold rows (roles and permissions stay).

    Which tables to look at is read once; which of them hold rows is one query (an EXISTS
    per table), so a test that wrote to three tables costs three DELETEs, not fifty-six —
    whoever wrote them (this process, a served thread, a subprocess)."""

    def __init__(self, db):
        names = set(db.inspect(db.engine).get_table_names())
        self.tables = [t for t in reversed(db.metadata.sorted_tables)
                       if t.name in names and t.name not in KEEP_TABLES]
        self.probe = text(" UNION ALL ".join(
            f"SELECT {i} FROM (SELECT 1 AS x) AS one WHERE EXISTS (SELECT 1 FROM {t.name})"
            for i, t in enumerate(self.tables)))

    def clean(self, session):
        filled = {row[0] for row in session.execute(self.probe)}
        for i, table in enumerate(self.tables):  # children before parents
            if i in filled:
                session.execute(table.delete())
        session.commit()


@pytest.fixture(scope="session")
def _cleaner(app):
    from app.extensions import db

    with app.app_context():
        return _Cleaner(db)


@pytest.fixture(autouse=True)
def _clean_database(request, app, _cleaner):
    """Each test starts with no firms, persons or users (roles and permissions stay)."""
    yield
    from app.extensions import db

    with app.app_context():
        db.session.rollback()
        _cleaner.clean(db.session)
        db.session.remove()
    app.appbuilder.sm.limiter.reset()


@pytest.fixture
def ctx(app):
    """An app context for workflow tests (no HTTP)."""
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app):
    return WebClient(app.test_client())


@pytest.fixture
def make_client(app):
    return lambda: WebClient(app.test_client())


# logs nothing points at: their rows get new ids when restored, so a test that wrote some
# before asking for the world (a fixture's audited setup) does not collide with the snapshot's
NUMBERED_ON_RESTORE = {"audit_log"}


class Snapshot:
    """What a builder wrote to the database: built once per process by a session fixture
    (so before any function fixture of the test that first needs it), then inserted again
    (executemany, ids identical) for every test that asks, instead of building it again."""

    def __init__(self, app, cleaner, build):
        from app.extensions import db

        with app.app_context():
            cleaner.clean(db.session)  # a clean slate: the snapshot holds only the builder's rows
            db.session.remove()
        self.value = build()
        with app.app_context():
            self.tables = []  # parents before children
            for table in reversed(cleaner.tables):
                rows = [dict(row) for row in db.session.execute(table.select()).mappings()]
                if table.name in NUMBERED_ON_RESTORE:
                    for row in rows:
                        del row["id"]
                if rows:
                    self.tables.append((table, rows))
            cleaner.clean(db.session)
            db.session.remove()
        self.app = app

    def restore(self):
        from app.extensions import db

        with self.app.app_context():
            for table, rows in self.tables:
                db.session.execute(table.insert(), rows)
            db.session.commit()
            db.session.remove()
        return copy.deepcopy(self.value)


@pytest.fixture(scope="session")
def _world_snapshot(app, _cleaner):
    from tests import helpers

    return Snapshot(app, _cleaner, lambda: helpers.build_world(app))


@pytest.fixture
def world(_world_snapshot):
    """Two firms (A and B) with people, a staff user, an admin and a member of A (built once
    per process, then restored from its rows)."""
    return _world_snapshot.restore()


@pytest.fixture(scope="session")
def populated(test_config):
    """`demo seed` run once per test run, into a database of its own copied from the run's
    migrated template (`<base>_populated`; its uploads beside it): {"url", "output" (the
    accounts and passwords it printed), "uploads", "rows" ({table: rows} of every table it
    filled), "roles"}. The migration tests copy the database; `demo_data` loads the rows."""
    root = test_config.RUN_ROOT

    def build():
        from app.extensions import db

        folder = root / "populated"
        folder.mkdir(exist_ok=True)
        template = test_config.TEMPLATE_DATABASE_URI
        base = template.rpartition("/")[2].removesuffix("_template").removesuffix(".db")
        url = clone_database(test_config, template, f"{base}_populated", folder)
        seeded = app_on(url, folder)
        result = seeded.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
        with seeded.app_context():
            rows = {}
            for table in db.metadata.sorted_tables:
                if table.name not in KEEP_TABLES:
                    found = [dict(row) for row in db.session.execute(table.select()).mappings()]
                    if found:
                        rows[table.name] = found
            roles = sorted(db.session.execute(text("SELECT id, name FROM ab_role")).all())
            db.session.remove()
            db.engine.dispose()
        return {"url": url, "output": result.output, "uploads": str(folder / "uploads"),
                "rows": rows, "roles": [tuple(role) for role in roles]}

    return once_per_run(root, "populated", build)


def load_populated(app, cleaner, populated) -> str:
    """The rows `demo seed` wrote (see `populated`) inserted into this process's database
    with their ids, its stored files copied beside them; PostgreSQL's id sequences moved
    past the ids. Returns the seed's output."""
    from app.extensions import db

    with app.app_context():
        roles = sorted(tuple(r) for r in db.session.execute(text("SELECT id, name FROM ab_role")))
        assert roles == populated["roles"], "the seeded users' roles are not this database's"
        postgres = db.engine.dialect.name == "postgresql"
        for table in reversed(cleaner.tables):  # parents before children
            rows = populated["rows"].get(table.name)
            if not rows:
                continue
            db.session.execute(table.insert(), rows)
            if postgres and "id" in table.c:
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"))
        db.session.commit()
        db.session.remove()
    files = Path(populated["uploads"]) / "files"
    if files.is_dir():
        shutil.copytree(files, Path(app.config["UPLOAD_FOLDER"]) / "files", dirs_exist_ok=True)
    return populated["output"]


@pytest.fixture(scope="session")
def _demo_snapshot(app, _cleaner, populated):
    return Snapshot(app, _cleaner, lambda: load_populated(app, _cleaner, populated))


@pytest.fixture
def demo_data(_demo_snapshot):
    """`demo seed` on an empty database (run once per test run — `populated` — loaded once
    per process, then restored from its rows); returns the command's output (the accounts
    and their passwords)."""
    return _demo_snapshot.restore()


def pytest_sessionfinish(session, exitstatus):
    from tests import browser

    browser.shutdown()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        for mark in item.iter_markers("slow"):  # a slow test says why it is slow
            reason = mark.args[0] if mark.args else mark.kwargs.get("reason")
            if not (isinstance(reason, str) and reason.strip()):
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.slow needs its reason, e.g. "
                    '@pytest.mark.slow("a real browser opens every page")')
        if "test_browser" in str(Path(item.fspath).relative_to(here)):
            item.add_marker(pytest.mark.browser)
    # the long tests first (stable: the rest keep their order), so both workers share them
    # instead of one worker finishing them alone after the other has run out of tests
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow")
               or item.get_closest_marker("browser") else 1)
