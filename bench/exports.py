"""exports — 学员学时明细 (the hour-record detail list) exported whole, served, next to its floors.

A database migrated by Alembic holds --rows hour records (40 a person, one firm, the year
2026); the real app is served by waitress (8 threads, as the README runs it) and staff
downloads /hours/details/export/<fmt>/?year=2026 over HTTP --exports times after a warm-up.
Printed per format: the median time to the last byte and to the first body byte, the rows in
the file, and the server's resident size — its growth from before the first export to after
the last (flat memory: no growth across exports) and its peak during them (VmHWM, reset
before) over the size before. The floors, run in the same minute on the same rows:

- CSV: the database's own CSV writer on the hand-written SQL returning the same rows
  (PostgreSQL `psql \\copy (…) TO … CSV HEADER`, SQLite `sqlite3 -csv -header`);
- XLSX: openpyxl's write-only workbook filled from the same SQL in a plain script (the writer
  the app used before: its time is what a correct .xlsx cost).

Targets (issue 28): 100,000 rows as XLSX ≤ 5 s, as CSV ≤ 2 s, the first byte within 1 s.

    python -m bench.exports [--rows 100000] [--exports 3]
                            [--database-url postgresql+psycopg://…/bench_x]
    (--database-url: a database this benchmark may empty; default a temporary SQLite file)
"""
import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench2026pass"
YEAR = 2026
RECORDS_EACH = 40

FLOOR_SQL = f"""
    SELECT p.person_type, u.username, p.name, p.status, r.title, r.hours, r.delivery,
           r.category, r.obtained_at
    FROM hour_record r JOIN person p ON p.id = r.person_id
    LEFT JOIN account a ON a.person_id = p.id LEFT JOIN ab_user u ON u.id = a.user_id
    WHERE r.year = {YEAR}
    ORDER BY r.obtained_at DESC, r.id DESC"""


def generate(app, rows: int) -> dict:
    """One firm, rows / 40 persons with 40 records each in YEAR, a staff account."""
    from sqlalchemy import insert, text

    from app.extensions import db
    from app.models import Firm, Person, PersonType
    from app.roles import STAFF
    from app.workflows import accounts

    persons = -(-rows // RECORDS_EACH)
    now = dt.datetime.now(dt.timezone.utc)
    started = time.perf_counter()
    with app.app_context():
        db.session.execute(insert(Firm), [{"code": "11010001", "name": "北京第1会计师事务所",
                                           "status": "active", "created_at": now}])
        firm_id = db.session.execute(text("select id from firm")).scalar()
        types = (PersonType.CPA, PersonType.NON_PRACTICING, PersonType.OTHER)
        people = [{"person_type": types[n % 3], "name": f"学员{n:05d}", "status": "active",
                   "firm_id": firm_id, "created_at": now,
                   "cert_number": f"11{n:010d}" if n % 3 == 0 else None} for n in range(persons)]
        for start in range(0, len(people), 10_000):
            db.session.execute(insert(Person), people[start:start + 10_000])
        dialect = db.session.get_bind().dialect.name
        obtained = ("make_timestamptz(2026, 1 + (p.id + n.i) % 12, 1 + n.i % 28, n.i % 24, "
                    "(p.id * 7) % 60, 0, 'UTC')" if dialect == "postgresql" else
                    "printf('%04d-%02d-%02d %02d:%02d:00.000000', 2026, 1 + (p.id + n.i) % 12, "
                    "1 + n.i % 28, n.i % 24, (p.id * 7) % 60)")
        stamp = "now()" if dialect == "postgresql" else "CURRENT_TIMESTAMP"
        db.session.execute(text(f"""
            INSERT INTO hour_record (person_id, year, title, category, delivery, hours,
                                     obtained_at, acquisition, source_kind, source_id, created_at)
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {RECORDS_EACH - 1})
            SELECT p.id, {YEAR}, '课程' || n.i,
                   CASE n.i % 10 WHEN 0 THEN '职业道德' WHEN 1 THEN '思政' ELSE '专业课' END,
                   CASE (p.id + n.i) % 5 WHEN 0 THEN '面授' WHEN 1 THEN '执业机构内培'
                        WHEN 2 THEN '投入式' ELSE '网络课程' END,
                   ((p.id * 7 + n.i * 13) % 30 + 5) / 10.0, {obtained}, '正常', 'import',
                   p.id || ':' || n.i, {stamp}
            FROM person p CROSS JOIN n"""))
        accounts.create_account(username="bench_staff", display_name="基准测试", role_name=STAFF,
                                password=PASSWORD, now=now, must_change_password=False)
        db.session.commit()
        if dialect == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        records = db.session.execute(text("select count(*) from hour_record")).scalar()
    return {"records": records, "seconds": time.perf_counter() - started, "dialect": dialect}


# --- floors -----------------------------------------------------------------------------

def _psql_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def floor_csv(url: str, out: Path) -> float:
    """The database's own CSV writer on FLOOR_SQL (a separate process, as a user runs it)."""
    sql = " ".join(FLOOR_SQL.split())
    if url.startswith("postgresql"):
        command = ["psql", "-q", "-X", _psql_url(url), "-c",
                   f"\\copy ({sql}) TO '{out}' WITH (FORMAT csv, HEADER)"]
        started = time.perf_counter()
        subprocess.run(command, check=True)
    else:
        database = url.split("sqlite:///", 1)[1]
        started = time.perf_counter()
        with open(out, "wb") as sink:
            subprocess.run(["sqlite3", "-csv", "-header", database, sql], stdout=sink, check=True)
    return time.perf_counter() - started


def floor_xlsx(app, out: Path) -> float:
    """openpyxl's write-only workbook from FLOOR_SQL in a plain script (rows through the
    DB-API, appended as they come)."""
    from openpyxl import Workbook

    from app.extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(FLOOR_SQL)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("导出")
        sheet.append([d[0] for d in cursor.description])
        while True:
            batch = cursor.fetchmany(1000)
            if not batch:
                break
            for row in batch:
                sheet.append([v.replace(tzinfo=None) if isinstance(v, dt.datetime) else v
                              for v in row])
        workbook.save(out)
        return time.perf_counter() - started
    finally:
        raw.rollback()
        raw.close()


# --- measured through the served app -----------------------------------------------------

def measure(server, client, fmt: str, exports: int, out: Path) -> dict:
    from bench.__main__ import _count_rows

    url = f"/hours/details/export/{fmt}/?year={YEAR}"
    with open(out, "wb") as sink:  # warm-up: plans, caches, the code path
        client.get(url, sink=sink)
    rss_before = server.rss_mb()
    peak_measured = server.reset_peak()
    times, firsts, sizes, after = [], [], [], []
    for _ in range(exports):
        with open(out, "wb") as sink:
            status, size, seconds, first, _ = client.get(url, sink=sink)
        assert status == 200, (fmt, status)
        times.append(seconds)
        firsts.append(first)
        sizes.append(size)
        after.append(server.rss_mb())
    return {"fmt": fmt, "seconds": statistics.median(times), "first": statistics.median(firsts),
            "bytes": sizes[-1], "rows": _count_rows(fmt, out), "rss_before": rss_before,
            "rss_growth": after[-1] - rss_before, "rss_after": after,
            "peak_growth": (server.peak_mb() - rss_before) if peak_measured else float("nan")}


def main(argv=None) -> None:
    from bench.hours import _config, _fresh
    from bench.served import Served

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--exports", type=int, default=3)
    parser.add_argument("--database-url", help="a database this benchmark may empty "
                                               "(default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        tmp = Path(tmp)
        config = _config(tmp, args.database_url)
        app = _fresh(config)
        facts = generate(app, args.rows)
        url = config.SQLALCHEMY_DATABASE_URI
        print(f"\nexports — 学员学时明细 as staff, {facts['dialect']}: {facts['records']:,} hour "
              f"records (generated in {facts['seconds']:.0f} s), served by waitress; median of "
              f"{args.exports} after a warm-up")
        results = []
        with Served(url, tmp) as server:
            client = server.client("bench_staff", PASSWORD)
            for fmt in ("csv", "xlsx"):
                result = measure(server, client, fmt, args.exports, tmp / f"export.{fmt}")
                if result["rows"] != facts["records"]:
                    raise SystemExit(f"{fmt}: {result['rows']} rows, expected {facts['records']}")
                floor = floor_csv(url, tmp / "floor.csv") if fmt == "csv" else \
                    floor_xlsx(app, tmp / "floor.xlsx")
                results.append((result, floor))
        print(f"  {'format':<6} {'rows':>8} {'s':>7} {'first byte s':>13} {'floor s':>8} "
              f"{'ratio':>6} {'MB':>6} {'RSS before':>11} {'growth':>7} {'peak Δ':>7}  target")
        targets = {"csv": 2.0, "xlsx": 5.0}
        for r, floor in results:
            met = r["seconds"] <= targets[r["fmt"]] and r["first"] <= 1.0
            print(f"  {r['fmt']:<6} {r['rows']:>8,} {r['seconds']:>7.2f} {r['first']:>13.3f} "
                  f"{floor:>8.2f} {r['seconds'] / floor:>5.2f}× {r['bytes'] / 2**20:>6.1f} "
                  f"{r['rss_before']:>9.0f}MB {r['rss_growth']:>+5.1f}MB {r['peak_growth']:>+5.1f}MB"
                  f"  ≤ {targets[r['fmt']]:g} s, first byte ≤ 1 s: {'met' if met else 'MISSED'}")
        print("  floors: CSV = " + ("psql \\copy" if facts["dialect"] == "postgresql" else
                                    "sqlite3 -csv") +
              " of the same rows; XLSX = openpyxl write-only from the same SQL in a plain script."
              "\n  growth: server VmRSS after the last export over before the first (RSS after "
              "each: " + "; ".join(f"{r['fmt']} " + ", ".join(f"{v:.0f}" for v in r["rss_after"])
                                   for r, _ in results) + " MB); peak Δ: VmHWM during them over"
              " before")


if __name__ == "__main__":
    main()
