"""pages_scale — the daily lists at Beijing size, served by waitress, each next to its floor.

A PostgreSQL database this benchmark may empty (`--database-url`, e.g. bench_pages) is
migrated by Alembic and filled deterministically (fixed arithmetic on row numbers, no
clock but one `now`) in SQL — `--scale beijing` (default):

    600 firms, 60,000 persons (firm 1: 3,000 — the firm admin's), 2,400,000 hour records over
    2024–2026 (40 a person) with their yearly sums, 30,000 registration cases, 1,200 in-house
    classes with 36,000 roster entries, 20,000 hour applications, 200,000 audit-log rows,
    2,000 messages for each of the two measured accounts (staff; firm 1's administrator)

`--scale national`: 3,000 firms, 300,000 persons (12 M hour records), the rest × 5 (not run
by `make bench`). `--scale small`: a tenth of Beijing, for trying the benchmark out.

The real app is served by waitress (8 threads, as the README's run command); for staff and
for the firm admin each list is asked for `--warm` times, then `--requests` times, as its
first page, page 50, filtered and sorted (where the page has them). Printed: median and p95
in ms, the floor, the ratio, and the SQL statements the page sends (counted in a second,
in-process app on the same database). Floors, run in the same minute:

- `sql`: hand-written SQL returning the same rows plus the pager's count (人员信息,
  学员学时明细, 办理记录, 审计日志);
- `replay`: the statements the page itself sent, replayed through the DB-API alone (every
  other page: what any page showing that data with the app's queries must at least spend).

    python -m bench.pages_scale --database-url postgresql+psycopg://…/bench_pages
                                [--scale beijing|national|small] [--requests 20] [--warm 3]
                                [--keep]   (reuse the data of a previous run: no generation)
"""
import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench2026pass"
YEAR = 2026
SCALES = {  # firms, persons, big firm, × for cases / roster / applications / audit / messages
    "beijing": (600, 60_000, 3_000, 1),
    "national": (3_000, 300_000, 3_000, 5),
    "small": (60, 6_000, 3_000, 0.1),
}


# --- the data set ------------------------------------------------------------------------

def generate(app, scale: str) -> dict:
    from sqlalchemy import insert, text

    from app.extensions import db
    from app.models import Firm
    from app.roles import FIRM_ADMIN, STAFF
    from app.workflows import accounts, hours

    firms, persons, big, times = SCALES[scale]
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc)
    steps = []

    def step(label, sql):
        started = time.perf_counter()
        db.session.execute(text(sql))
        db.session.commit()
        steps.append((label, time.perf_counter() - started))

    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            raise SystemExit("pages_scale needs PostgreSQL (--database-url postgresql+psycopg://…)")
        db.session.execute(insert(Firm), [
            {"code": f"1101{n:04d}", "name": f"北京第{n}会计师事务所", "status": "active",
             "contact_name": "联系人", "contact_phone": f"1380000{n:04d}", "created_at": now}
            for n in range(1, firms + 1)])
        db.session.commit()
        step("persons", f"""
            INSERT INTO person (person_type, name, gender, phone, cert_number, position, firm_id,
                                status, imported_at, created_at)
            SELECT (ARRAY['注册会计师','注册会计师','非执业会员','其他从业人员'])[1 + n % 4],
                   '学员' || lpad(n::text, 6, '0'), CASE WHEN n % 2 = 0 THEN '男' ELSE '女' END,
                   '13' || lpad(n::text, 9, '0'),
                   CASE WHEN n % 4 < 2 THEN '11' || lpad(n::text, 10, '0') END, '审计员',
                   CASE WHEN n < {big} THEN 1 ELSE 2 + n % ({firms} - 1) END,
                   CASE WHEN n % 50 = 49 THEN 'revoked' ELSE 'active' END,
                   timestamptz '2026-01-01 00:00+00' + (n % 300) * interval '1 day',
                   timestamptz '2026-01-01 00:00+00'
            FROM generate_series(0, {persons - 1}) n""")
        step("hour records", """
            INSERT INTO hour_record (person_id, year, title, category, delivery, hours,
                                     obtained_at, acquisition, source_kind, source_id, created_at)
            SELECT p.id, 2024 + i % 3, '课程' || i,
                   CASE i % 10 WHEN 0 THEN '职业道德' WHEN 1 THEN '思政' ELSE '专业课' END,
                   CASE (p.id + i) % 5 WHEN 0 THEN '面授' WHEN 1 THEN '执业机构内培'
                        WHEN 2 THEN '投入式' ELSE '网络课程' END,
                   ((p.id * 7 + i * 13) % 30 + 5) / 10.0,
                   make_timestamptz(2024 + i % 3, 1 + (p.id + i) % 12, 1 + i % 28, i % 24,
                                    p.id % 60, 0, 'UTC'),
                   '正常', 'import', p.id || ':' || i, timestamptz '2026-01-01 00:00+00'
            FROM person p CROSS JOIN generate_series(0, 39) i""")
        started = time.perf_counter()
        hours.rebuild_totals(db.session)
        db.session.commit()
        steps.append(("yearly sums", time.perf_counter() - started))
        step("registration cases", f"""
            INSERT INTO registration_case (case_type, status, firm_id, person_id, filer_name, name,
                                           cert_number, mobile, answers, pledged_at, created_at,
                                           submitted_at)
            SELECT (ARRAY['注册申请','注销(撤销)','关系转移','信息变更','其他变更','信息补录',
                          '证书补办','任职资格检查'])[1 + n % 8],
                   (ARRAY['draft','submitted','rejected','approved','booked','processed',
                          'cert_ready','done','expired'])[1 + n % 9],
                   p.firm_id, p.id, p.name, p.name, p.cert_number, p.phone, '{{}}',
                   timestamptz '2026-01-01 00:00+00' + (n % 330) * interval '1 day',
                   timestamptz '2026-01-01 00:00+00' + (n % 330) * interval '1 day',
                   CASE WHEN n % 9 > 0 THEN timestamptz '2026-01-02 00:00+00'
                        + (n % 330) * interval '1 day' END
            FROM generate_series(0, {int(30_000 * times) - 1}) n
            JOIN person p ON p.id = 1 + (n * 7) % {persons}""")
        classes = int(1_200 * times)
        step("in-house classes", f"""
            INSERT INTO inhouse_class (firm_id, year, name, category, hours, start_date, end_date,
                                       address, leader, contact, created_at, status, version)
            SELECT CASE WHEN n < 40 THEN 1 ELSE 1 + n % {firms} END, {YEAR}, '内训班' || n,
                   CASE WHEN n % 5 = 0 THEN '职业道德' ELSE '专业课' END, 8.0,
                   date '2026-03-01' + n % 200, date '2026-03-02' + n % 200, '北京市海淀区',
                   '负责人', '13800000000', timestamptz '2026-02-01 00:00+00',
                   (ARRAY['pending','approved','rejected'])[1 + n % 3], 1
            FROM generate_series(0, {classes - 1}) n""")
        step("roster entries", f"""
            INSERT INTO inhouse_roster_entry (class_id, is_cpa, cert_number, name, level,
                                              acquisition, hours, person_id, person_key,
                                              created_at, status, version)
            SELECT c.id, p.person_type = '注册会计师', p.cert_number, p.name, '其他', '正常', 8.0,
                   p.id, 'p' || p.id, timestamptz '2026-03-01 00:00+00',
                   (ARRAY['enrolled','approved','rejected'])[1 + (c.id + i) % 3], 1
            FROM inhouse_class c CROSS JOIN generate_series(0, 29) i
            JOIN LATERAL (SELECT * FROM person WHERE firm_id = c.firm_id
                          ORDER BY id OFFSET (c.id * 31) % 20 + i LIMIT 1) p ON true""")
        step("hour applications", f"""
            INSERT INTO hour_application (person_id, year, kind, route, quantity, hours, category,
                                          submitted_at, status, version)
            SELECT 1 + (n * 3) % {persons}, {YEAR}, '投入式', '撰写专业文章', 1, 4.0, '专业课',
                   timestamptz '2026-02-01 00:00+00' + (n % 300) * interval '1 day',
                   (ARRAY['pending','confirmed','refused'])[1 + n % 3], 1
            FROM generate_series(0, {int(20_000 * times) - 1}) n""")
        step("audit log", f"""
            INSERT INTO audit_log (at, user_id, username, entity, entity_id, action, to_state)
            SELECT timestamptz '2026-01-01 00:00+00' + n * interval '1 minute', 1 + n % 50,
                   'user' || (n % 50), (ARRAY['人员','事务所','办理','学时记录'])[1 + n % 4],
                   (n % 60000)::text, (ARRAY['create','update','delete'])[1 + n % 3],
                   CASE WHEN n % 3 = 1 THEN 'approved' END
            FROM generate_series(0, {int(200_000 * times) - 1}) n""")
        big_firm = db.session.get(Firm, 1)
        accounts.create_account(username="bench_staff", display_name="基准测试", role_name=STAFF,
                                password=PASSWORD, now=now, must_change_password=False)
        accounts.create_account(username="bench_firm", display_name="基准事务所",
                                role_name=FIRM_ADMIN, password=PASSWORD, now=now, firm=big_firm,
                                must_change_password=False)
        db.session.commit()
        user_ids = [row[0] for row in db.session.execute(text(
            "SELECT id FROM ab_user WHERE username IN ('bench_staff', 'bench_firm') ORDER BY id"))]
        step("messages", f"""
            INSERT INTO message (user_id, kind, title, body, created_at, read_at)
            SELECT u, (ARRAY['系统消息','协会通知','咨询消息'])[1 + n % 3], '消息' || n, '内容',
                   timestamptz '2026-01-01 00:00+00' + n * interval '1 hour',
                   CASE WHEN n % 4 > 0 THEN timestamptz '2026-11-01 00:00+00' END
            FROM unnest(ARRAY{user_ids}) u CROSS JOIN generate_series(0, {int(2_000 * times) - 1}) n
        """)
        step("analyze", "ANALYZE")
        counts = {t: db.session.execute(text(f"select count(*) from {t}")).scalar() for t in (
            "firm", "person", "hour_record", "hour_year_total", "registration_case",
            "inhouse_class", "inhouse_roster_entry", "hour_application", "audit_log", "message")}
    return {"steps": steps, "counts": counts}


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
    detail_count = ("SELECT count(*) FROM hour_record r JOIN person p ON p.id = r.person_id")
    case = ("SELECT c.*, f.name FROM registration_case c LEFT JOIN firm f ON f.id = c.firm_id")
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
                f"{detail_count} WHERE r.year = {YEAR} AND {scope}")),
            ("学员学时明细", "page 50", who, f"/hours/details/?{y}&page=50", floor(
                f"{detail} WHERE r.year = {YEAR} AND {scope} "
                "ORDER BY r.obtained_at DESC, r.id DESC LIMIT 20 OFFSET 980",
                f"{detail_count} WHERE r.year = {YEAR} AND {scope}")),
            ("学员学时明细", "filtered 面授", who, f"/hours/details/?{y}&kinds=面授", floor(
                f"{detail} WHERE r.year = {YEAR} AND {scope} AND r.delivery = '面授' "
                "ORDER BY r.obtained_at DESC, r.id DESC LIMIT 20",
                f"{detail_count} WHERE r.year = {YEAR} AND {scope} AND r.delivery = '面授'")),
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
            ("学时申请", "first", who,
             "/applications/review/" if who == "staff" else "/applications/", None),
            ("消息中心", "first", who, "/messages/", None),
            ("消息中心", "page 50", who, "/messages/?page=50", None),
        ]
        if who == "staff":
            out += [
                ("审计日志", "first", who, "/auditlogview/list/", floor(
                    f"{audit} ORDER BY at DESC LIMIT 20", "SELECT count(*) FROM audit_log")),
                ("审计日志", "page 50", who, "/auditlogview/list/?page_AuditLogView=49", floor(
                    f"{audit} ORDER BY at DESC LIMIT 20 OFFSET 980",
                    "SELECT count(*) FROM audit_log")),
            ]
    out.append(("home page (fixed cost)", "first", "staff", "/", None))
    return out


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


def measure(url: str, tmp: Path, requests: int, warm: int) -> list:
    from bench.hours import _config
    from bench.pages import captured
    from bench.served import Served
    from app import create_app
    from tests.helpers import WebClient

    app = create_app(_config(tmp, url))
    inproc = {who: WebClient(app.test_client()) for who in ("staff", "firm")}
    for who, client in inproc.items():
        assert client.login(f"bench_{who}", PASSWORD).status_code == 302 and client.signed_in
    results = []
    with Served(url, tmp) as server:
        clients = {who: server.client(f"bench_{who}", PASSWORD) for who in ("staff", "firm")}
        for name, variant, who, path, floor_sql in pages():
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


def main(argv=None) -> None:
    from bench.hours import _config, _fresh

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL database this benchmark may empty")
    parser.add_argument("--scale", choices=sorted(SCALES), default="beijing")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the data of a previous run (no generation)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        tmp = Path(tmp)
        if not args.keep:
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
        measure(args.database_url, tmp, args.requests, args.warm)


if __name__ == "__main__":
    main()
