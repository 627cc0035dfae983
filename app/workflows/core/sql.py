"""Constants written into a statement's SQL instead of sent as parameters.

PostgreSQL (through psycopg, which prepares a statement after its fifth run) keeps the plan
of a statement without parameters; a statement with parameters is planned again at every
call unless its generic plan is as cheap — and a generic plan for "some firm" cannot know
that the firm at hand has 3,000 people, not 100. So a query's own constants (a year, a
requirement, a scope's firm id, a page's limit) go into the SQL text, rendered by
SQLAlchemy at execution time (`literal_execute`: the compiled statement stays cached).

Only numbers, booleans, dates and the code's own strings go in this way: text a user typed
stays a parameter.
"""
import datetime as dt
from decimal import Decimal

from sqlalchemy import bindparam

_INLINED = (bool, int, Decimal, dt.date, str)


def inline(value, type_=None):
    """`value` as a literal of the statement's SQL (rendered when it runs)."""
    if not isinstance(value, _INLINED):
        raise TypeError(f"inline() takes a number, a date or a constant string, not {value!r}")
    return bindparam(None, value, type_=type_, unique=True, literal_execute=True)


def limited(query, size: int, offset: int = 0):
    """`query` limited to `size` rows from `offset`, both written into the SQL."""
    return query.limit(inline(int(size))).offset(inline(int(offset)))


def page(session, query, number: int, size: int, *, scalars: bool = False):
    """(rows of page `number` (1-based), total rows) of an ordered query. The total counts
    the query without its ORDER BY (sorting every row only to count them is waste)."""
    from sqlalchemy import func, select

    total = session.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar()
    result = session.execute(limited(query, size, (number - 1) * size))
    return (list(result.scalars()) if scalars else result.all()), total
