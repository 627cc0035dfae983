"""Shared fixtures: one app per session on a migrated database, cleaned after each test.

The database is SQLite (a file, so threaded servers share it) unless TEST_DATABASE_URL
names another (CI runs the suite again on PostgreSQL). The schema comes from
`flask db upgrade`, as in production — never from create_all.
"""
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig, normalize_database_url
from tests.helpers import WebClient

KEEP_TABLES = {
    "alembic_version", "ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
    "ab_permission_view_role",
}


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def test_config(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = normalize_database_url(
        os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    )

    class Config(TestConfig):
        INSTANCE_DIR = instance
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_FOLDER = str(instance / "uploads")

    return Config


@pytest.fixture(scope="session")
def app(test_config):
    """The application, on a database migrated by Alembic."""
    import flask_migrate

    from app import create_app
    from app.extensions import db

    if test_config.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        _reset_postgres(test_config.SQLALCHEMY_DATABASE_URI)
    bootstrap = create_app(test_config)  # an empty database: no permissions to sync yet
    with bootstrap.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    application = create_app(test_config)  # permissions and roles: written by the upgrade above
    return application


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    """Each test starts with no firms, persons or users (roles and permissions stay)."""
    yield
    from app.extensions import db

    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
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


@pytest.fixture
def world(app):
    """Two firms (A and B) with people, a staff user, an admin and a member of A."""
    from tests import helpers

    return helpers.build_world(app)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if "test_browser" in str(Path(item.fspath).relative_to(here)):
            item.add_marker(pytest.mark.browser)
