"""Constants written into the SQL (app/workflows/core/sql.py): a firm admin's scoped query and
the hour queries run without parameters, so PostgreSQL keeps their plans; text a user typed
stays a parameter."""
import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models import Person
from app.workflows.core.scoping import scope_condition
from app.workflows.core.sql import inline, limited
from app.workflows.hours import queries


def _compiled(statement):
    compiled = statement.compile(db.engine, compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params


def test_a_firm_scope_and_a_page_are_written_into_the_sql(app, world):
    with app.app_context():
        admin = db.session.query(User).filter_by(username=world.a.admin).one()
        statement = limited(select(Person.id).where(scope_condition(Person, admin)), 20, 40)
        sql, params = _compiled(statement)
        assert f"person.firm_id = {world.a.id}" in sql
        assert "LIMIT 20 OFFSET 40" in sql
        assert params == {}
        # the rows are those of the firm, as before
        first = limited(select(Person.id).where(scope_condition(Person, admin)), 20)
        rows = db.session.execute(first).scalars().all()
        assert set(rows) == set(world.a_people)


def test_the_annual_query_has_no_parameter_but_what_a_user_typed(app, world):
    with app.app_context():
        admin = db.session.query(User).filter_by(username=world.a.admin).one()
        plain = queries.annual(db.session, admin, queries.AnnualCriteria(year=2025))
        sql, params = _compiled(limited(plain, 20))
        assert params == {}, params
        typed = queries.annual(db.session, admin, queries.AnnualCriteria(year=2025, name="王'"))
        sql, params = _compiled(typed)
        assert "王'" not in sql and "王'" in "".join(str(v) for v in params.values())
        db.session.execute(typed).all()  # the quote reaches the database as data


def test_inline_takes_only_constants():
    for value in (3, "注册会计师", True):
        inline(value)
    with pytest.raises(TypeError):
        inline(["a"])
    with pytest.raises(TypeError):
        inline(None)


def test_one_pager_for_every_list(app, world):
    """sql.page: the rows of page n of an ordered query and the total; paged(): the same for
    the page ?page= asks, with how many pages and the first row's offset."""
    from app.views.core.args import paged
    from app.workflows.core import sql

    with app.app_context():
        query = select(Person).order_by(Person.name.desc(), Person.id)
        every = list(db.session.scalars(query))
        rows, total = sql.page(db.session, query, 2, 4, scalars=True)
        assert total == len(every) == 6 and rows == every[4:]
        tuples, _ = sql.page(db.session, select(Person.id).order_by(Person.id), 1, 2)
        assert [t.id for t in tuples] == sorted(p.id for p in every)[:2]
        # a number past the last page (an old link, a hand-typed one) answers the last page
        for asked, expected in (("2", 2), ("x", 1), ("-3", 1), ("999999999", 2)):
            with app.test_request_context(f"/?page={asked}"):
                listed = paged(query, 4)
                assert (listed.page, listed.pages, listed.total) == (expected, 2, 6)
                assert listed.offset == (expected - 1) * 4
                assert listed.rows == every[(expected - 1) * 4:expected * 4]
        with app.test_request_context("/?page=2"):
            assert paged(query, 4).args()["rows"] == every[4:]
