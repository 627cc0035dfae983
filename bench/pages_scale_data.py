"""pages_scale's data set: generated deterministically in SQL (fixed arithmetic on row
numbers, no clock but one `now`) — see bench/pages_scale.py for what it holds.

`generate` fills an emptied, migrated database; `complete` adds what later pages need
(training classes with enrollments, appointments, the member's and the admin's accounts)
to a database generated before them, so that `--keep` on an older copy measures every page,
and vacuums what was never vacuumed (a production database is autovacuumed: its visibility
map lets index-only scans skip the heap; a freshly loaded one has none).
"""
import datetime as dt
import time

PASSWORD = "Bench2026pass"
YEAR = 2026
SCALES = {  # firms, persons, big firm, × for cases / roster / applications / audit / messages
    "beijing": (600, 60_000, 3_000, 1),
    "national": (3_000, 300_000, 3_000, 5),
    "small": (60, 6_000, 3_000, 0.1),
}
ACCOUNTS = ("staff", "firm", "member", "admin")  # bench_<who>, each measured


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
        steps.append(("yearly and monthly sums", time.perf_counter() - started))
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
    steps += complete(app, scale, now)
    with app.app_context():
        counts = {t: db.session.execute(text(f"select count(*) from {t}")).scalar() for t in (
            "firm", "person", "hour_record", "hour_year_total", "hour_month_total",
            "registration_case", "inhouse_class", "inhouse_roster_entry", "hour_application",
            "training_class", "training_enrollment", "reg_appointment", "audit_log", "message")}
    return {"steps": steps, "counts": counts}


def complete(app, scale: str, now=None) -> list:
    """Add the data of the pages measured after the first data set was made (each part only
    when missing), then VACUUM ANALYZE the tables never vacuumed; returns the steps' times."""
    from sqlalchemy import text

    from app.extensions import db
    from app.models import Firm, Person
    from app.roles import ADMIN, MEMBER
    from app.workflows import accounts

    firms, persons, big, times = SCALES[scale]
    now = now or dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc)
    steps, filled = [], []

    def step(label, sql):
        started = time.perf_counter()
        db.session.execute(text(sql))
        db.session.commit()
        steps.append((label, time.perf_counter() - started))

    with app.app_context():
        known = set(db.session.scalars(text("SELECT username FROM ab_user")))
        if not db.session.scalar(text("SELECT count(*) FROM training_class")):
            classes = max(int(200 * times), 20)
            filled += ["training_class", "training_enrollment"]
            # every 20th class is firm 1's favourite: 1,000 of its people enrolled; the classes
            # over by `now` decided and (but every 25th) their results recorded
            step("training classes", f"""
                INSERT INTO training_class (kind, name, hours, category, start_date, end_date,
                                            enroll_start, enroll_end, location, capacity,
                                            audience, created_at, seat_lock)
                SELECT '北京注协面授班', '培训班' || n, 8.0,
                       CASE WHEN n % 5 = 0 THEN '职业道德' ELSE '专业课' END,
                       date '2026-03-01' + n * 2, date '2026-03-02' + n * 2,
                       timestamptz '2026-02-01 00:00+00' + n * interval '2 day',
                       timestamptz '2026-02-20 00:00+00' + n * interval '2 day',
                       '北京国家会计学院', CASE WHEN n % 20 = 0 THEN 1200 ELSE 400 END,
                       '从业人员和注册会计师', timestamptz '2026-02-01 00:00+00', 0
                FROM generate_series(0, {classes - 1}) n""")
            step("enrollments", f"""
                INSERT INTO training_enrollment (class_id, firm_id, person_id, person_kind, name,
                                                 position, phone, cert_number, gender, status,
                                                 result, dedupe_key, channel, created_at, version)
                SELECT c.id, p.firm_id, p.id,
                       CASE WHEN p.person_type = '注册会计师' THEN '注册会计师' ELSE '其他' END,
                       p.name, p.position, p.phone, p.cert_number, p.gender,
                       CASE WHEN c.end_date >= date '2026-11-30'
                            THEN (ARRAY['pending','approved','approved','rejected'])[1 + (c.id + i) % 4]
                            WHEN (c.id + i) % 7 = 0 THEN 'rejected' ELSE 'approved' END,
                       CASE WHEN c.end_date >= date '2026-11-30' OR (c.id + i) % 7 = 0
                                 OR c.id % 25 = 7 THEN '尚未参加培训'  -- results not yet recorded
                            WHEN (c.id + i) % 10 = 0 THEN '不合格' ELSE '合格' END,
                       'person:' || p.id, '表单',
                       c.enroll_start + (i % 400) * interval '1 hour', 1
                FROM training_class c
                CROSS JOIN LATERAL generate_series(0, CASE WHEN c.id % 20 = 1 THEN 999
                                                           ELSE 299 END) i
                JOIN person p ON p.id = CASE WHEN c.id % 20 = 1
                                             THEN 1 + (c.id * 31 + i) % {big}
                                             ELSE 1 + (c.id * 997 + i * 211) % {persons} END""")
        if not db.session.scalar(text("SELECT count(*) FROM reg_appointment")):
            # every working slot of 2026 and the first half of 2027 (whatever day the pages are
            # read on), 8 a slot, a tenth of them cancelled
            filled.append("reg_appointment")
            step("appointments", f"""
                INSERT INTO reg_appointment (case_type, day, start, "end", seats, names, status,
                                             firm_id, person_id, created_at, version)
                SELECT (ARRAY['注册申请','注销(撤销)','关系转移','信息变更'])[1 + k % 4], d::date,
                       s.start, s."end", 1, p.name,
                       CASE WHEN k % 10 = 0 THEN 'cancelled'
                            WHEN d::date < date '2026-11-30' THEN 'done' ELSE 'booked' END,
                       p.firm_id, p.id, d - interval '3 day', 1
                FROM generate_series(timestamp '2026-01-01', timestamp '2027-06-30',
                                     interval '1 day') d
                CROSS JOIN reg_slot_template s CROSS JOIN generate_series(0, 7) k
                JOIN person p ON p.id = 1 + ((extract(doy FROM d)::int * 41 + s.id * 7 + k)
                                             * 13) % {persons}
                WHERE extract(isodow FROM d) < 6""")
        made = []
        if "bench_member" not in known:  # a CPA of firm 1 with hours: person 1 (学员000000)
            person = db.session.get(Person, 1)
            accounts.create_account(username="bench_member", display_name=person.name,
                                    role_name=MEMBER, password=PASSWORD, now=now,
                                    firm=db.session.get(Firm, 1), person=person,
                                    must_change_password=False)
            made.append("bench_member")
        if "bench_admin" not in known:
            accounts.create_account(username="bench_admin", display_name="基准管理员",
                                    role_name=ADMIN, password=PASSWORD, now=now,
                                    must_change_password=False)
            made.append("bench_admin")
        db.session.commit()
        # tables never analyzed (reltuples -1), or of some size with an empty visibility
        # map: never vacuumed
        never = [t for (t,) in db.session.execute(text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relallvisible = 0 "
            "AND (c.reltuples > 1000 OR c.reltuples < 0) ORDER BY c.relname"))]
        never += [t for t in filled if t not in never]  # their statistics are stale
        bind = db.engine
    if never:
        started = time.perf_counter()
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in never:
                conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
        steps.append(("vacuum", time.perf_counter() - started))
    elif steps or made:
        with app.app_context():
            step("analyze", "ANALYZE")
    return steps
