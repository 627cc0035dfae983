"""Alembic owns the schema; demo data are real-looking and valid."""
import re
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models import Firm, Person, PersonType
from app.workflows.core.identifiers import validate_id_number
from tests.conftest import app_on


def test_models_and_migrations_agree(app):
    """A model change without its migration fails here (autogenerate finds a difference)."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, db.metadata)
    assert diffs == []


@pytest.mark.slow("runs `demo seed` twice (a minute on a loaded 2-core machine)")
def test_demo_seed_creates_valid_real_looking_data(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "P11010001" in result.output and "admin" in result.output
    with app.app_context():
        firms = db.session.query(Firm).all()
        people = db.session.query(Person).all()
        assert len(firms) == 10
        assert all(re.fullmatch(r"11\d{6}", f.code) for f in firms)
        assert all("会计师事务所" in f.name for f in firms)
        assert 280 <= len(people) <= 320
        assert {p.person_type for p in people} == set(PersonType.ALL)
        for person in people:
            assert validate_id_number(person.id_number) == person.id_number
            assert re.fullmatch(r"1[3-9]\d{9}", person.phone)
        assert any(p.firm_id is None for p in people)  # 协会代管 CPAs
        on_roster = [p for p in people if p.imported_at is not None]
        assert len(on_roster) > 50 and all(p.login_name == "kj" + p.phone for p in on_roster)
    kj = re.search(r"(kj1\d{10})\s+(\d{6})", result.output)
    assert kj, result.output
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post("/login/", data={"username": kj.group(1), "password": kj.group(2),
                                             "csrf_token": csrf})
    assert signed_in.headers["Location"] == "/"
    client = app.test_client()  # the next member signs in from a browser of its own
    # issue 23 item 3: each demo member is labelled with its real kind and the identifier
    # to type; a 非执业会员 signs in with its 会员证书编号 (seeds 001/002)
    non_practising = re.search(r"Member\s+(\d{12})\s+(\d{6})\s+非执业会员（用户名为会员证书编号）",
                               result.output)
    assert non_practising, result.output
    assert re.search(r"Member\s+kj1\d{10}\s+\d{6}\s+其他从业人员（用户名为kj\+手机号）", result.output)
    assert re.search(r"Member\s+\d{12}\s+\d{6}\s+注册会计师（用户名为证书编号）", result.output)
    with app.app_context():
        assert db.session.query(Person).filter_by(
            cert_number=non_practising.group(1)).one().person_type == PersonType.NON_PRACTICING
    page = client.get("/login/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post("/login/", data={"username": non_practising.group(1),
                                             "password": non_practising.group(2),
                                             "csrf_token": csrf})
    assert signed_in.headers["Location"] == "/"
    again = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert "跳过" in again.output
    with app.app_context():
        assert db.session.query(Firm).count() == 10


def test_migrations_have_a_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def _revisions_with_parent():
    folder = Path(__file__).resolve().parents[2] / "migrations"
    config = AlembicConfig(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    script = ScriptDirectory.from_config(config)
    return [(r.revision, r.down_revision) for r in script.walk_revisions() if r.down_revision]


@pytest.fixture(scope="session")
def populated_url(populated):
    """A database at head filled by `demo seed` (once per test run: conftest's `populated`);
    each test below migrates a copy of it."""
    return populated["url"]


def _base(test_config):
    from tests.conftest import worker_id

    url = test_config.SQLALCHEMY_DATABASE_URI
    return url.rpartition("/")[2] if url.startswith("postgresql") else f"test_{worker_id()}"


def test_every_migration_but_the_first_is_stepped_through():
    revisions = _revisions_with_parent()
    assert revisions, "expected at least one migration after the initial schema"
    assert len(REVISIONS) == len(revisions)


REVISIONS = [revision for revision, _ in _revisions_with_parent()]  # newest first
HALF = (len(REVISIONS) + 1) // 2


def _counts(tables):
    from sqlalchemy import text

    return {t: db.session.execute(text(f"select count(*) from {t}")).scalar() for t in tables}


@pytest.mark.slow("steps half of the migrations down, up and down again on a copy of the demo "
                  "data's database (up to 40 s)")
@pytest.mark.parametrize("half", ["newer", "older"])
def test_every_migration_upgrades_a_populated_database(test_config, populated_url, half,
                                                       tmp_path):
    """Populated at head; each migration of this half, newest first, is stepped back to its
    parent — the data as every later migration's downgrade left them, as if the database
    had been populated before it — then upgraded on that populated database (no row lost)
    and stepped back again to reach the next. At the end the copy goes up to head: no row
    lost and the yearly sums match the records. Two halves, so pytest-xdist spreads them;
    each migration is upgraded once (one down, up, down per step instead of a round trip
    to head per migration)."""
    import flask_migrate
    from sqlalchemy import text

    from tests.conftest import clone_database

    steps = _revisions_with_parent()
    steps = steps[:HALF] if half == "newer" else steps[HALF:]
    url = clone_database(test_config, populated_url, f"{_base(test_config)}_migrations",
                         tmp_path)
    migrated = app_on(url, tmp_path)
    with migrated.app_context():
        counts = _counts(("firm", "person", "ab_user", "account"))
        assert counts["firm"] == 10 and counts["person"] > 0, counts  # demo seed's data
        db.session.remove()
        if half == "older":
            flask_migrate.downgrade(revision=steps[0][0])  # the newer half's migrations undone
        for revision, down_revision in steps:
            flask_migrate.downgrade(revision=down_revision)
            flask_migrate.upgrade(revision=revision)
            assert _counts(counts) == counts, revision
            db.session.remove()
            flask_migrate.downgrade(revision=down_revision)
        flask_migrate.upgrade()
        after = _counts(counts)
        assert after == counts, (half, counts, after)
        # the yearly sums (computed by a migration, or kept by the ledger) match the records
        assert db.session.execute(text(
            "select count(*), coalesce(sum(records), 0), coalesce(sum(total), 0), "
            "coalesce(sum(ethics), 0) from hour_year_total where records > 0")).one() == \
            db.session.execute(text(
                "select count(distinct person_id || '-' || year), count(*), "
                "coalesce(round(sum(hours) * 10), 0), coalesce(round(sum(case when category = "
                "'职业道德' then hours else 0 end) * 10), 0) from hour_record")).one(), half
        db.session.remove()
        db.engine.dispose()


ADMIN = "(select id from ab_role where name = 'Admin')"  # given every view's permissions


def _admin_grants() -> int:
    from sqlalchemy import text

    return db.session.execute(text(
        f"select count(*) from ab_permission_view_role where role_id = {ADMIN}")).scalar()


def _revoke_admin_grants() -> int:
    """Take every permission from the Admin role (committed); how many it had (over 100)."""
    from sqlalchemy import text

    total = _admin_grants()
    assert total > 100, total
    db.session.execute(text(f"delete from ab_permission_view_role where role_id = {ADMIN}"))
    db.session.commit()
    return total


def test_permissions_follow_the_schema_at_its_head_only(test_config, tmp_path):
    """`flask db upgrade` to the head writes every view's permissions (a deployment has
    them); a step down or a partial upgrade does not (the app's views need the head's schema,
    and each step of a migration walk would otherwise rewrite them all)."""
    import flask_migrate

    from tests.conftest import clone_database

    url = clone_database(test_config, test_config.TEMPLATE_DATABASE_URI,
                         f"{_base(test_config)}_perms", tmp_path)
    migrated = app_on(url, tmp_path)
    newest, parent = _revisions_with_parent()[0]
    with migrated.app_context():
        total = _revoke_admin_grants()
        flask_migrate.downgrade(revision=parent)
        flask_migrate.upgrade(revision=newest)  # the head again, so the grants come back
        assert _admin_grants() == total
        _revoke_admin_grants()
        flask_migrate.downgrade(revision=parent)
        assert _admin_grants() == 0
        db.session.remove()
        db.engine.dispose()


def test_the_permission_sync_is_one_transaction_and_falls_back_when_fab_rolls_back(
        app, monkeypatch):
    """sync_permissions runs FAB's add_permissions with its per-permission commits turned
    into flushes (one commit for the whole sync): every grant is written, and the Admin
    role ends with every view's permissions. When FAB rolls back on the way (it logs a
    failed add and goes on), what it had flushed is gone, so the sync runs again FAB's way
    and the grants are all there all the same."""
    import app as application

    with app.app_context():
        total = _revoke_admin_grants()
        commits = []
        real_commit = type(db.session).commit
        monkeypatch.setattr(type(db.session), "commit",
                            lambda self: (commits.append(1), real_commit(self))[1])
        assert application.sync_permissions(app)
        assert len(commits) == 1  # the caller's, not one per grant
        assert _admin_grants() == total

        _revoke_admin_grants()
        fallbacks, sm = [], app.appbuilder.sm
        real_add = type(sm).add_permission_role

        def add_once_failing(self, role, perm_view):
            if not fallbacks:  # the first grant fails: FAB rolls the transaction back
                fallbacks.append(perm_view)
                self.session.rollback()
                return None
            return real_add(self, role, perm_view)

        monkeypatch.setattr(type(sm), "add_permission_role", add_once_failing)
        assert application.sync_permissions(app)
        assert fallbacks and _admin_grants() == total
        db.session.remove()


def test_rows_written_after_the_demo_data_get_ids_of_their_own(app, demo_data):
    """The demo data are loaded with their ids (seeded once per run, `populated`): what a
    test writes next gets new ids from the same sequences (PostgreSQL's moved past them)."""
    from sqlalchemy import func, select

    from app.models import AuditLog
    from tests.helpers import new_firm

    with app.app_context():
        before = db.session.scalar(select(func.max(Firm.id)))
        audits = db.session.scalar(select(func.count()).select_from(AuditLog))
        firm = new_firm(db.session, "11010099")
        assert firm.id > before
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) > audits
        db.session.remove()
