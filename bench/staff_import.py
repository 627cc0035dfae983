"""staff_import — a 20,000-row whole-list staff file (issue 4's target).

Measures, each on a fresh database migrated by Alembic:
- ours: preview (parse, normalise, validate, plan, persist) + commit (bulk, one
  transaction: persons, kj accounts, roles, audit rows) — wall time, and in a second
  run the tracemalloc peak of Python allocations and the process's peak RSS;
- the floor: reading the same file with openpyxl read-only plus one bulk INSERT of
  the same rows into `person` with SQLAlchemy Core.
Target (platform issue): ours ≤ 1.2 × floor, peak RSS ≤ 250 MB (the untraced run;
tracemalloc's own bookkeeping inflates the traced one, reported separately).

    python -m bench.staff_import [--rows 20000]
"""
import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import in_child  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚"


def make_file(rows: int, path: Path) -> Path:
    from openpyxl import Workbook

    from app.workflows.core.identifiers import id_check_char

    rng = random.Random(20000)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("从业人员")
    sheet.append(["姓名", "手机号", "身份证号", "类型", "职位"])
    for i in range(rows):
        first17 = f"110105{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        sheet.append([
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            f"130{i:08d}",
            first17 + id_check_char(first17) if i % 3 else None,
            "其他从业人员" if i % 5 else "非执业会员",
            rng.choice(["审计员", "助理", "项目经理", None]),
        ])
    workbook.save(path)
    return path


def fresh_app(directory: Path):
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    class Config(TestConfig):
        TESTING = False
        INSTANCE_DIR = directory
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.db'}"
        UPLOAD_FOLDER = str(directory / "uploads")

    with create_app(Config).app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return create_app(Config)


def _firm(app):
    from app.extensions import db
    from app.models import Firm
    from app.workflows import registry

    with app.app_context():
        firm = Firm(code="11019001", name="基准测试会计师事务所", status="active")
        registry.clean_firm(firm, creating=True)
        registry.on_firm_created(firm, dt.datetime.now(dt.timezone.utc))
        db.session.add(firm)
        db.session.commit()
        return firm.id


def run_ours(path: Path, trace: bool) -> dict:
    from app.extensions import db
    from app.models import Firm, Person
    from app.workflows import roster
    from app.workflows.core.scoping import SystemActor

    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp))
        firm_id = _firm(app)
        data = path.read_bytes()
        with app.app_context():
            firm = db.session.get(Firm, firm_id)
            actor = SystemActor("bench")
            now = dt.datetime.now(dt.timezone.utc)
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            batch = roster.preview(actor, now, firm, path.name, data)
            previewed = time.perf_counter()
            assert batch.error_count == 0, roster.summary_of(batch)["errors"][:3]
            roster.commit(actor, now, batch.token)
            finished = time.perf_counter()
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
            count = db.session.query(Person).count()
        return {"preview": previewed - started, "commit": finished - previewed,
                "total": finished - started, "rows": count, "py_peak": peak}


def run_floor(path: Path) -> dict:
    from openpyxl import load_workbook
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Person

    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp))
        firm_id = _firm(app)
        with app.app_context():
            now = dt.datetime.now(dt.timezone.utc)
            started = time.perf_counter()
            workbook = load_workbook(path, read_only=True)
            rows = []
            for values in workbook.worksheets[0].iter_rows(min_row=2, values_only=True):
                values = tuple(values) + (None,) * (5 - len(values))
                rows.append({"name": values[0], "phone": str(values[1]), "id_number": values[2],
                             "person_type": values[3], "position": values[4],
                             "firm_id": firm_id, "status": "active", "imported_at": now,
                             "created_at": now})
            workbook.close()
            db.session.execute(insert(Person.__table__), rows)
            db.session.commit()
            finished = time.perf_counter()
        return {"total": finished - started, "rows": len(rows)}


def _child(mode: str, path: Path) -> dict:
    """Run one measurement in a fresh process so RSS peaks do not mix."""
    call = (f"run_floor(Path({str(path)!r}))" if mode == "floor"
            else f"run_ours(Path({str(path)!r}), {mode == 'trace'})")
    return in_child("bench.staff_import", call, mode)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_file(args.rows, Path(tmp) / f"staff_{args.rows}.xlsx")
        size = path.stat().st_size
        floor = _child("floor", path)
        ours = _child("time", path)
        traced = _child("trace", path)
    ratio = ours["total"] / floor["total"]
    print(f"\nstaff_import — {args.rows:,} rows, file {size / 1024:.0f} KB (SQLite)")
    print(f"{'':32}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'floor: openpyxl read + 1 INSERT':32}{floor['total']:>10.2f}{floor['rss_mb']:>14.0f}")
    print(f"{'ours: preview':32}{ours['preview']:>10.2f}")
    print(f"{'ours: commit':32}{ours['commit']:>10.2f}")
    print(f"{'ours: preview + commit':32}{ours['total']:>10.2f}{ours['rss_mb']:>14.0f}")
    print(f"ratio ours/floor: {ratio:.2f} (target ≤ 1.2)   "
          f"peak RSS: {ours['rss_mb']:.0f} MB (target ≤ 250)   "
          f"tracemalloc peak: {traced['py_peak'] / 2**20:.0f} MB "
          f"(traced run's RSS {traced['rss_mb']:.0f} MB)")
    assert ours["rows"] == args.rows and floor["rows"] == args.rows


if __name__ == "__main__":
    main()
