"""learning — the daily 网络学习 run (learning_credit) on a day's evaluated lessons.

Measured on a fresh SQLite database migrated by Alembic, in its own process: N learners
(CPAs) who chose one institute, each with every required course and one elective evaluated
yesterday (5 lessons each). Ours: `credit_due` — every lesson's gate checked, credited
through the hour ledger in batches (record + yearly sums), its progress moved on the
machine with a history row, all audited, in transactions of about 1,000 lessons. The
floor: the same rows written by hand-written SQL with no rule checked — INSERT … SELECT
into hour_record, status_history and audit_log (a row per record and per lesson), one
UPDATE of lesson_progress, the yearly sums rebuilt with one INSERT … SELECT. Then a
second run of ours (nothing left: the idempotence cost).

    python -m bench.learning [--learners 2000]
"""
import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import in_child  # noqa: E402

LESSONS = 5  # 4 required + 1 elective


def fresh(directory: Path, learners: int):
    import flask_migrate
    from sqlalchemy import insert, select

    from app import create_app
    from app.extensions import db
    from app.models import (Course, Firm, InstituteChoice, LearningInstitute, LessonProgress,
                            Person)
    from app.workflows import registry
    from config import TestConfig

    class Config(TestConfig):
        TESTING = False
        INSTANCE_DIR = directory
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.db'}"
        UPLOAD_FOLDER = str(directory / "uploads")

    with create_app(Config).app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    app = create_app(Config)
    now = dt.datetime.now(dt.timezone.utc)
    year = (now + dt.timedelta(hours=8)).year
    evaluated = now - dt.timedelta(days=1)
    if (evaluated + dt.timedelta(hours=8)).year != year:  # 1 January: stay inside the year
        evaluated = now - dt.timedelta(minutes=1)
        now = now + dt.timedelta(days=1)
    with app.app_context():
        firm = Firm(code="11019005", name="基准测试网络学习会计师事务所", status="active")
        registry.clean_firm(firm, creating=True)
        registry.on_firm_created(firm, now)
        db.session.add(firm)
        institute = LearningInstitute(code="bench", name="基准国家会计学院", fee=0, active=True)
        db.session.add(institute)
        db.session.flush()
        for n in range(LESSONS):
            db.session.add(Course(institute_id=institute.id, year=year, code=f"C{n}",
                                  title=f"基准课程{n}", required=n < LESSONS - 1,
                                  category="专业课", hours=2, active=True))
        db.session.execute(insert(Person.__table__), [
            {"person_type": "注册会计师", "name": f"学员{i:05d}", "cert_number": f"1101{i:08d}",
             "firm_id": firm.id, "status": "active", "created_at": now}
            for i in range(learners)])
        db.session.flush()
        people = list(db.session.scalars(select(Person.id).where(Person.firm_id == firm.id)))
        courses = list(db.session.scalars(select(Course.id).order_by(Course.id)))
        db.session.execute(insert(InstituteChoice.__table__), [
            {"person_id": p, "year": year, "institute_id": institute.id, "chosen_at": evaluated}
            for p in people])
        db.session.execute(insert(LessonProgress.__table__), [
            {"person_id": p, "year": year, "institute_id": institute.id, "course_id": c,
             "status": "已评价", "completed_at": evaluated, "evaluated_at": evaluated,
             "score": 5} for p in people for c in courses])
        db.session.commit()
    return app, now


def run_ours(learners: int) -> dict:
    from app.extensions import db
    from app.models import HourRecord
    from app.workflows.core.scoping import SystemActor
    from app.workflows.learning import rules

    with tempfile.TemporaryDirectory() as tmp:
        app, now = fresh(Path(tmp), learners)
        with app.app_context():
            actor = SystemActor("bench")
            started = time.perf_counter()
            counts = rules.credit_due(actor, now)
            first = time.perf_counter()
            again = rules.credit_due(actor, now)
            second = time.perf_counter()
            records = db.session.query(HourRecord).count()
        return {"total": first - started, "again": second - first, "records": records,
                "credited": counts["credited"], "credited_again": again["credited"]}


def run_floor(learners: int) -> dict:
    from sqlalchemy import text

    from app.extensions import db
    from app.workflows.hours.ledger import rebuild_totals

    with tempfile.TemporaryDirectory() as tmp:
        app, now = fresh(Path(tmp), learners)
        with app.app_context():
            started = time.perf_counter()
            db.session.execute(text(
                "INSERT INTO hour_record (person_id, year, title, category, delivery, hours,"
                " obtained_at, acquisition, source_kind, source_id, created_at)"
                " SELECT lp.person_id, lp.year, c.title, c.category, '网络课程', c.hours,"
                " date(lp.evaluated_at), '网络学习', 'online_lesson', CAST(lp.id AS TEXT), :now"
                " FROM lesson_progress lp JOIN learning_course c ON c.id = lp.course_id"
                " WHERE lp.status = '已评价' AND lp.evaluated_at < :now"), {"now": now})
            # the same history and audit rows ours writes: a 计入学时 step per lesson, an
            # audit row for each new record and for each lesson's change
            db.session.execute(text(
                "INSERT INTO status_history (entity, entity_id, event, from_state, to_state,"
                " actor_name, at) SELECT 'lesson_progress', id, 'credit', '已评价', '已计学时',"
                " '定时任务', :now FROM lesson_progress"
                " WHERE status = '已评价' AND evaluated_at < :now"), {"now": now})
            db.session.execute(text(
                "INSERT INTO audit_log (at, username, entity, entity_id, action, from_state,"
                " to_state, changes) SELECT :now, 'bench', 'lesson_progress', CAST(id AS TEXT),"
                " 'update', '已评价', '已计学时', json_object('status', json_array('已评价',"
                " '已计学时'), 'credited_at', json_array(NULL, :now)) FROM lesson_progress"
                " WHERE status = '已评价' AND evaluated_at < :now"), {"now": now})
            db.session.execute(text(
                "INSERT INTO audit_log (at, username, entity, entity_id, action, changes)"
                " SELECT :now, 'bench', 'hour_record', CAST(id AS TEXT), 'create',"
                " json_object('person_id', json_array(NULL, person_id), 'year',"
                " json_array(NULL, year), 'title', json_array(NULL, title), 'hours',"
                " json_array(NULL, hours), 'source_id', json_array(NULL, source_id))"
                " FROM hour_record"), {"now": now})
            db.session.execute(text(
                "UPDATE lesson_progress SET status = '已计学时', credited_at = :now"
                " WHERE status = '已评价' AND evaluated_at < :now"), {"now": now})
            rebuild_totals(db.session)
            db.session.commit()
            finished = time.perf_counter()
            records = db.session.execute(text("SELECT count(*) FROM hour_record")).scalar()
        return {"total": finished - started, "records": records}


def _child(mode: str, learners: int) -> dict:
    call = f"run_floor({learners})" if mode == "floor" else f"run_ours({learners})"
    return in_child("bench.learning", call, mode)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2_000)
    args = parser.parse_args(argv)
    floor = _child("floor", args.learners)
    ours = _child("time", args.learners)
    lessons = args.learners * LESSONS
    assert floor["records"] == lessons and ours["records"] == lessons, (floor, ours)
    assert ours["credited"] == lessons and ours["credited_again"] == 0, ours
    print(f"\nlearning — learning_credit: {args.learners:,} learners × {LESSONS} evaluated "
          f"lessons = {lessons:,} lessons (SQLite)")
    print(f"{'':44}{'seconds':>10}{'per lesson ms':>15}{'peak RSS MB':>13}")
    print(f"{'floor: the same rows by INSERT…SELECT':44}{floor['total']:>10.2f}"
          f"{floor['total'] * 1000 / lessons:>15.3f}{floor['rss_mb']:>13.0f}")
    print(f"{'ours: credit_due (rules, ledger, history)':44}{ours['total']:>10.2f}"
          f"{ours['total'] * 1000 / lessons:>15.3f}{ours['rss_mb']:>13.0f}")
    print(f"{'ours: run again (nothing left)':44}{ours['again']:>10.2f}")
    print(f"ratio ours/floor: {ours['total'] / floor['total']:.1f}")


if __name__ == "__main__":
    main()
