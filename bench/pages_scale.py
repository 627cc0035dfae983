"""pages_scale — the daily lists at Beijing size, served by waitress, each next to its floor.

A PostgreSQL database this benchmark may empty (`--database-url`, e.g. bench_pages) is
migrated by Alembic and filled deterministically (fixed arithmetic on row numbers, no
clock but one `now`) in SQL — `--scale beijing` (default):

    600 firms, 60,000 persons (firm 1: 3,000 — the firm admin's), 2,400,000 hour records over
    2024–2026 (40 a person) with their yearly and monthly sums, 30,000 registration cases,
    1,200 in-house classes with 36,000 roster entries, 20,000 hour applications, 200
    training classes with 67,000 enrollments (10 of them 1,000 of firm 1's people), 8
    appointments a slot on every working day of 2026 and 2027's first half, 200,000
    audit-log rows, 2,000 messages for each of staff and firm 1's administrator; accounts
    bench_staff, bench_firm (firm 1), bench_member (person 1: a CPA of firm 1 with hours),
    bench_admin (bench/pages_scale_data.py)

`--scale national`: 3,000 firms, 300,000 persons (12 M hour records), the rest × 5 (not run
by `make bench`). `--scale small`: a tenth of Beijing, for trying the benchmark out.

The real app is served by waitress (8 threads, as the README's run command); for staff and
for the firm admin each list is asked for `--warm` times, then `--requests` times, as its
first page, page 50, filtered and sorted (where the page has them); 学时申请 as the member
too, the 审核中心 as staff, the home page of each of the four accounts. Printed: median and p95
in ms, the floor, the ratio, and the SQL statements the page sends (counted in a second,
in-process app on the same database). Floors, run in the same minute:

- `sql`: hand-written SQL returning the same rows plus the pager's count (人员信息,
  学员学时明细, 办理记录, 审计日志);
- `replay`: the statements the page itself sent, replayed through the DB-API alone (every
  other page: what any page showing that data with the app's queries must at least spend).

    python -m bench.pages_scale --database-url postgresql+psycopg://…/bench_pages
                                [--scale beijing|national|small] [--requests 20] [--warm 3]
                                [--only 学员学时明细,home]
                                [--keep]   (reuse the data of a previous run: migrated to
                                            head, completed with what newer pages need)
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pages_scale_data import ACCOUNTS, PASSWORD, SCALES, YEAR, complete, generate


# --- the pages ---------------------------------------------------------------------------

def pages() -> list:
    """(list, variant, who, path, floor SQL or None) — None: the page's own SQL replayed."""
    y = f"year={YEAR}"
    person_cols = ("SELECT p.id, p.name, p.person_type, p.gender, p.phone, p.cert_number, "
                   "p.position, p.status, f.id, f.name FROM person p "
                   "LEFT JOIN firm f ON f.id = p.firm_id")
    detail = ("SELECT r.id, p.person_type, u.username, p.name, p.status, r.title, r.hours, "
              "r.delivery, r.category, r.obtained_at FROM hour_record r "
              "JOIN person p ON p.id = r.person_id LEFT JOIN account a ON a.person_id = p.id "
              "LEFT JOIN ab_user u ON u.id = a.user_id")
    cap = 10_001  # the pager counts up to 10,000 rows and says 「10000+」 beyond

    def detail_count(where):  # the count of the rows, capped as the pager's
        join = "" if where.startswith(f"r.year = {YEAR} AND 1 = 1") else \
            " JOIN person p ON p.id = r.person_id"
        return (f"SELECT count(*) FROM (SELECT 1 FROM hour_record r{join} WHERE {where} "
                f"LIMIT {cap}) c")
    case = ("SELECT c.*, f.name FROM registration_case c LEFT JOIN firm f ON f.id = c.firm_id")
    f2f = "('面授', '执业机构内培', '授课', '面授(视同)')"
    audit = "SELECT at, username, entity, entity_id, action, from_state, to_state FROM audit_log"

    def floor(rows_sql, count_sql):
        return f"{count_sql};{rows_sql}"

    out = []
    for who, scope in (("staff", "1 = 1"), ("firm", "p.firm_id = 1")):
        out += [
            ("人员信息", "first", who, "/personview/list/", floor(
                f"{person_cols} WHERE {scope} ORDER BY p.name LIMIT 20",
                f"SELECT count(*) FROM person p WHERE {scope}")),
            ("人员信息", "page 50", who, "/personview/list/?page_PersonView=49", floor(
                f"{person_cols} WHERE {scope} ORDER BY p.name LIMIT 20 OFFSET 980",
                f"SELECT count(*) FROM person p WHERE {scope}")),
            ("人员信息", "sorted 证书编号", who,
             "/personview/list/?_oc_PersonView=cert_number&_od_PersonView=asc", floor(
                 f"{person_cols} WHERE {scope} ORDER BY p.cert_number LIMIT 20",
                 f"SELECT count(*) FROM person p WHERE {scope}")),
            ("人员信息", "filtered 姓名", who,
             "/personview/list/?_flt_0_name=" + "%E5%AD%A6%E5%91%98000", floor(
                 f"{person_cols} WHERE {scope} AND p.name LIKE '学员000%' ORDER BY p.name LIMIT 20",
                 f"SELECT count(*) FROM person p WHERE {scope} AND p.name LIKE '学员000%'")),
            ("学员学时明细", "first", who, f"/hours/details/?{y}", floor(
                f"{detail} WHERE r.year = {YEAR} AND {scope} "
                "ORDER BY r.obtained_at DESC, r.id DESC LIMIT 20",
                detail_count(f"r.year = {YEAR} AND {scope}"))),
            ("学员学时明细", "page 50", who, f"/hours/details/?{y}&page=50", floor(
                f"{detail} WHERE r.year = {YEAR} AND {scope} "
                "ORDER BY r.obtained_at DESC, r.id DESC LIMIT 20 OFFSET 980",
                detail_count(f"r.year = {YEAR} AND {scope}"))),
            # 面授 is every face-to-face kind (the page's filter, DESIGN §3a)
            ("学员学时明细", "filtered 面授", who, f"/hours/details/?{y}&kind=面授", floor(
                f"{detail} WHERE r.year = {YEAR} AND {scope} AND r.delivery IN {f2f} "
                "ORDER BY r.obtained_at DESC, r.id DESC LIMIT 20",
                detail_count(f"r.year = {YEAR} AND {scope} AND r.delivery IN {f2f}"))),
            ("学员年度学时", "first", who, f"/hours/annual/?{y}", None),
            ("学员年度学时", "page 50", who, f"/hours/annual/?{y}&page=50", None),
            ("事务所培训概况", "first", who, f"/hours/overview/?{y}", None),
            ("从业人员管理", "first", who, "/staffrosterview/list/", None),
            ("从业人员管理", "page 50", who, "/staffrosterview/list/?page_StaffRosterView=49", None),
            ("办理记录", "first", who, "/registration/records/", floor(
                f"{case} WHERE {scope.replace('p.', 'c.')} "
                "ORDER BY c.created_at DESC, c.id DESC LIMIT 20",
                f"SELECT count(*) FROM registration_case c WHERE {scope.replace('p.', 'c.')}")),
            ("办理记录", "page 50", who, "/registration/records/?page=50", floor(
                f"{case} WHERE {scope.replace('p.', 'c.')} "
                "ORDER BY c.created_at DESC, c.id DESC LIMIT 20 OFFSET 980",
                f"SELECT count(*) FROM registration_case c WHERE {scope.replace('p.', 'c.')}")),
            ("预约记录", "first", who, "/registration/appointments/", None),
            ("内部培训 classes", "first", who,
             "/inhouse/review/" if who == "staff" else "/inhouse/classes/", None),
            ("内培学员名单", "first", who, "/inhouse/review/entry/" if who == "staff"
             else "/inhouse/classes/{inhouse_class}/roster", None),
            ("消息中心", "first", who, "/messages/", None),
            ("消息中心", "page 50", who, "/messages/?page=50", None),
        ]
        if who == "staff":
            out += [
                ("学时申请", "first", who, "/applications/review/", None),
                ("内培学员名单", "page 50", who, "/inhouse/review/entry/?page=50", None),
                ("审计日志", "first", who, "/auditlogview/list/", floor(
                    f"{audit} ORDER BY at DESC LIMIT 20", "SELECT count(*) FROM audit_log")),
                ("审计日志", "page 50", who, "/auditlogview/list/?page_AuditLogView=49", floor(
                    f"{audit} ORDER BY at DESC LIMIT 20 OFFSET 980",
                    "SELECT count(*) FROM audit_log")),
            ]
        else:
            out += [
                ("培训班报名", "first", who, "/training/classes/{training_class}/roster", None),
                ("培训班报名", "page 50", who,
                 "/training/classes/{training_class}/roster?page=50", None),
            ]
    out += [
        ("学时申请", "first", "member", "/applications/", None),  # a firm admin has no access
        ("审核中心", "first", "staff", "/review-centre/", None),
    ] + [("home page", "first", who, "/", None) for who in ACCOUNTS]
    # the fixed cost of every page: one with no query of its own (the 修改密码 form)
    out += [("empty page", "修改密码", who, "/account/password/", None) for who in ("staff", "firm")]
    return out


def _places(engine) -> dict:
    """The ids the pages' paths name: firm 1's first in-house class, the training class
    with the most of firm 1's people enrolled."""
    with engine.connect() as conn:
        return {"inhouse_class": conn.exec_driver_sql(
                    "SELECT min(id) FROM inhouse_class WHERE firm_id = 1").scalar(),
                "training_class": conn.exec_driver_sql(
                    "SELECT class_id FROM training_enrollment WHERE firm_id = 1 "
                    "GROUP BY class_id ORDER BY count(*) DESC, class_id LIMIT 1").scalar()}


def _time_floor(engine, statements, runs: int) -> float:
    """Median ms of running `statements` (SQL text or (statement, parameters)) on one
    connection, fetching every row."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            for item in statements:
                statement, parameters = item if isinstance(item, tuple) else (item, None)
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            times.append(time.perf_counter() - started)
        raw.rollback()
        return statistics.median(times[1:]) * 1000
    finally:
        raw.close()


def measure(url: str, tmp: Path, requests: int, warm: int, only=None) -> list:
    from bench.hours import _config
    from bench.pages import captured
    from bench.served import Served
    from app import create_app
    from tests.helpers import WebClient

    from app.extensions import db

    app = create_app(_config(tmp, url))
    inproc = {who: WebClient(app.test_client()) for who in ACCOUNTS}
    for who, client in inproc.items():
        assert client.login(f"bench_{who}", PASSWORD).status_code == 302 and client.signed_in
    with app.app_context():
        places = _places(db.engine)
    results = []
    with Served(url, tmp) as server:
        clients = {who: server.client(f"bench_{who}", PASSWORD) for who in ACCOUNTS}
        for name, variant, who, path, floor_sql in pages():
            if only and not any(word in f"{name} {variant} {who}" for word in only):
                continue
            path = path.format(**places)
            client = clients[who]
            for _ in range(warm):
                status, *_ = client.get(path)
            times = []
            for _ in range(requests):
                status, body, seconds, _first, _h = client.get(path)
                times.append(seconds * 1000)
            status_in, sent, engine = captured(app, inproc[who], path)
            runs = max(5, requests // 2)
            try:
                if floor_sql:
                    floor, kind = _time_floor(engine, floor_sql.split(";"), runs), "sql"
                else:
                    floor, kind = _time_floor(engine, sent, runs), "replay"
            except Exception as error:  # a floor that fails is reported, the rest still runs
                print(f"  {name} {variant} {who}: floor failed: {str(error).splitlines()[0]}")
                floor, kind = float("nan"), "failed"
            times.sort()
            results.append({
                "list": name, "variant": variant, "who": who, "path": path, "status": status,
                "median": statistics.median(times),
                "p95": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
                "floor": floor, "kind": kind, "statements": len(sent)})
            r = results[-1]
            print(f"  {name:<14} {variant:<14} {who:<5} {r['status']:>4} {r['median']:>8.1f} "
                  f"{r['p95']:>8.1f} {r['floor']:>8.1f} {kind:<6} "
                  f"{r['median'] / max(r['floor'], 0.01):>7.1f}× {r['statements']:>4}", flush=True)
    return results


def _migrated(config):
    """The app on `config`'s database, migrated to head (its data kept)."""
    import flask_migrate

    from app import create_app
    from app.extensions import db

    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return app


def main(argv=None) -> None:
    from bench.hours import _config, _fresh

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL database this benchmark may empty")
    parser.add_argument("--scale", choices=sorted(SCALES), default="beijing")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--only", help="measure only the pages whose list, variant or "
                        "account contains one of these comma-separated words (home,firm)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the data of a previous run (no generation)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        tmp = Path(tmp)
        if args.keep:  # data of pages added since the copy was made; a vacuum if never
            steps = complete(_migrated(_config(tmp, args.database_url)), args.scale)
            if steps:
                print("  completed: " + ", ".join(f"{label} {s:.0f} s" for label, s in steps))
        else:
            started = time.perf_counter()
            facts = generate(_fresh(_config(tmp, args.database_url)), args.scale)
            print(f"\npages_scale — {args.scale}: generated in "
                  f"{time.perf_counter() - started:.0f} s ("
                  + ", ".join(f"{label} {s:.0f} s" for label, s in facts["steps"]) + ")")
            print("  " + ", ".join(f"{t} {n:,}" for t, n in facts["counts"].items()))
        print(f"  served by waitress (8 threads); {args.warm} warm-ups, then {args.requests} "
              "requests; ms; ratio = median / floor; SQL = statements the page sends")
        print(f"  {'list':<14} {'variant':<14} {'who':<5} {'HTTP':>4} {'median':>8} {'p95':>8} "
              f"{'floor':>8} {'kind':<6} {'ratio':>8} {'SQL':>4}")
        measure(args.database_url, tmp, args.requests, args.warm,
                [w for w in (args.only or "").split(",") if w])


if __name__ == "__main__":
    main()
