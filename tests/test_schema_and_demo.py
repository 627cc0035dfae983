"""Alembic owns the schema; demo data are real-looking and valid."""
import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from app.models import Firm, Person, PersonType
from app.workflows.identifiers import validate_id_number


def test_models_and_migrations_agree(app):
    """A model change without its migration fails here (autogenerate finds a difference)."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, db.metadata)
    assert diffs == []


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
    again = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert "跳过" in again.output
    with app.app_context():
        assert db.session.query(Firm).count() == 10


def test_migrations_have_a_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"
