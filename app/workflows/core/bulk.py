"""Bulk writes for imports: one prepared statement, the driver's executemany.

SQLAlchemy's Core executemany processes every parameter of every row through its
compiler (construct_params and the type's bind processor): for the 100,000 rows a
20,000-person roster import writes (persons, accounts, users, roles, audit rows) that is
most of the commit. Here the statement is compiled once for the dialect, each column's
bind processor is looked up once, and the rows go to the DB-API cursor as plain tuples
(or dicts for named paramstyles) in the caller's transaction.

Callers pass every column they want written: Python-side column defaults are not applied.
"""
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db

CHUNK = 5000


def upsert_insert(table):
    """INSERT into `table` for the session's database, with its ON CONFLICT clauses
    (`.on_conflict_do_nothing(...)` / `.on_conflict_do_update(...)`: PostgreSQL's and
    SQLite's take the same arguments) — the one place that picks the dialect."""
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def insert_rows(table, rows: list[dict]) -> int:
    """INSERT `rows` (dicts with the same keys) into `table`; returns how many."""
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    processors = {}
    # columns the statement carries but the rows do not: the column's own default
    fallback = {}
    for column in table.c:
        default = column.default
        if column.key not in columns and default is not None:
            if default.is_scalar:
                fallback[column.key] = default.arg
            elif default.is_callable:
                fallback[column.key] = default.arg(None)
    names = list(compiled.positiontup) if compiled.positional else list(compiled.params)
    for name in names:
        if name not in processors and name in table.c:
            processor = table.c[name].type._cached_bind_processor(dialect)
            if processor is not None:
                processors[name] = processor

    def column_values(name, chunk):
        """One column of a chunk, processed: column-wise and memoised, because most rows
        share their stamps (now, the firm) and a processor call is the costly part."""
        processor = processors.get(name)
        if name not in columns:
            constant = fallback.get(name)
            constant = processor(constant) if processor is not None else constant
            return [constant] * len(chunk)
        raw = [row[name] for row in chunk]
        if processor is None:
            return raw
        memo = {}

        def processed(item):
            try:
                return memo[item]
            except KeyError:
                memo[item] = result = processor(item)
                return result
            except TypeError:  # unhashable
                return processor(item)

        return [processed(item) for item in raw]

    def shaped(chunk):
        tuples = zip(*[column_values(name, chunk) for name in names])
        if compiled.positional:
            return list(tuples)
        return [dict(zip(names, values)) for values in tuples]

    sql = compiled.string
    for start in range(0, len(rows), CHUNK):
        connection.exec_driver_sql(sql, shaped(rows[start:start + CHUNK]))
    return len(rows)


def ids_by(column_key, key_column, keys, chunk: int = 900) -> dict:
    """{key: id} of rows just inserted, found by a unique key (chunked IN lists)."""
    keys = list(keys)
    found = {}
    for start in range(0, len(keys), chunk):
        found.update({key: row_id for row_id, key in db.session.execute(
            select(column_key, key_column).where(key_column.in_(keys[start:start + chunk])))})
    return found
