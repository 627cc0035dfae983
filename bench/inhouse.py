"""inhouse — a 5,000-row 学员名单 bulk upload into 3 classes (15,000 entries; issue 8's target).

Measured, each on a fresh SQLite database migrated by Alembic, in its own process, with the
5,000 persons already registered (half CPAs named by 证书编号, half by 身份证号):
- ours: preview (parse, the template rules, every person looked up, duplicates, the plan
  persisted on the import batch) + 正式导入 (one transaction, 15,000 entries) — wall time,
  peak RSS, and in a third run the tracemalloc peak;
- the floor: the same file read with openpyxl read-only plus one bulk INSERT of the
  15,000 rows into inhouse_roster_entry with SQLAlchemy Core (no checks at all).
Target: ours ≤ 1.5 × the floor.

    python -m bench.inhouse [--rows 5000]
"""
import argparse
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import in_child  # noqa: E402

CLASSES = 3
HEADERS = ["是否注师", "证书编号", "姓名", "身份证号", "级别"]




def _person(i: int):
    """(is CPA, cert number, name, 身份证号) of the i-th bench person (unique ids)."""
    first17 = f"11{i // 1000 + 10:02d}05{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}" \
              f"{i % 1000:03d}"
    from app.workflows.core.identifiers import id_check_char

    return i % 2 == 0, f"1101{i:08d}", f"学员{i:05d}", first17 + id_check_char(first17)


def make_file(rows: int, path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("学员名单")
    sheet.append(HEADERS)
    for i in range(rows):
        cpa, cert, name, number = _person(i)
        sheet.append(["是", cert, name, None, "审计员"] if cpa else
                     ["否", None, name, number, "助理"])
    workbook.save(path)
    return path


def fresh(directory: Path, rows: int):
    """A migrated database with the firm, its people, a qualification and three classes."""
    import flask_migrate
    from sqlalchemy import insert

    from app import create_app
    from app.extensions import db
    from app.models import Firm, InhouseClass, InhouseQualification, Person
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
    today = dt.date.today()
    with app.app_context():
        firm = Firm(code="11019001", name="基准测试会计师事务所", status="active")
        registry.clean_firm(firm, creating=True)
        registry.on_firm_created(firm, now)
        db.session.add(firm)
        db.session.flush()
        people = []
        for i in range(rows):
            cpa, cert, name, number = _person(i)
            people.append({"person_type": "注册会计师" if cpa else "其他从业人员", "name": name,
                           "id_number": number, "cert_number": cert if cpa else None,
                           "firm_id": firm.id, "status": "active", "created_at": now})
        db.session.execute(insert(Person.__table__), people)
        db.session.add(InhouseQualification(firm_id=firm.id, year=today.year, status="审核通过",
                                            submitted_at=now))
        classes = []
        for n in range(CLASSES):
            item = InhouseClass(firm_id=firm.id, year=today.year, name=f"基准培训班{n + 1}",
                                category="专业课", hours="8.0", start_date=today, end_date=today,
                                address="会议室", leader="负责人", contact="13800000000",
                                status="未审核", created_at=now)
            db.session.add(item)
            classes.append(item)
        db.session.commit()
        return app, [c.id for c in classes]


def run_ours(path: Path, rows: int, trace: bool) -> dict:
    from app.extensions import db
    from app.models import InhouseRosterEntry
    from app.workflows.core.importing import batches
    from app.workflows.core.scoping import SystemActor

    with tempfile.TemporaryDirectory() as tmp:
        app, class_ids = fresh(Path(tmp), rows)
        data = path.read_bytes()
        with app.app_context():
            actor, now = SystemActor("bench"), dt.datetime.now(dt.timezone.utc)
            if trace:
                tracemalloc.start()
            started = time.perf_counter()
            batch = batches.upload(actor, now, "inhouse_roster", path.name, data,
                                   {"class": [str(c) for c in class_ids], "mode": "bulk"},
                                   background=False)
            previewed = time.perf_counter()
            assert batch.error_count == 0, batches.summary_of(batch)["errors"][:3]
            batches.commit(actor, now, batch.token)
            finished = time.perf_counter()
            peak = tracemalloc.get_traced_memory()[1] if trace else None
            if trace:
                tracemalloc.stop()
            count = db.session.query(InhouseRosterEntry).count()
        return {"preview": previewed - started, "commit": finished - previewed,
                "total": finished - started, "entries": count, "py_peak": peak}


def run_floor(path: Path, rows: int) -> dict:
    from openpyxl import load_workbook
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import InhouseRosterEntry

    with tempfile.TemporaryDirectory() as tmp:
        app, class_ids = fresh(Path(tmp), rows)
        with app.app_context():
            now = dt.datetime.now(dt.timezone.utc)
            started = time.perf_counter()
            workbook = load_workbook(path, read_only=True)
            entries = []
            for number, values in enumerate(workbook.worksheets[0].iter_rows(
                    min_row=2, values_only=True)):
                for class_id in class_ids:
                    entries.append({"class_id": class_id, "is_cpa": values[0] == "是",
                                    "cert_number": values[1], "name": values[2],
                                    "id_number": values[3], "level": values[4],
                                    "acquisition": "执业机构内培", "hours": 8,
                                    "person_key": f"R{number}", "status": "已报名",
                                    "created_at": now, "version": 1})
            workbook.close()
            db.session.execute(insert(InhouseRosterEntry.__table__), entries)
            db.session.commit()
            finished = time.perf_counter()
        return {"total": finished - started, "entries": len(entries)}


def _child(mode: str, path: Path, rows: int) -> dict:
    call = (f"run_floor(Path({str(path)!r}), {rows})" if mode == "floor"
            else f"run_ours(Path({str(path)!r}), {rows}, {mode == 'trace'})")
    return in_child("bench.inhouse", call, mode)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_file(args.rows, Path(tmp) / f"roster_{args.rows}.xlsx")
        size = path.stat().st_size
        floor = _child("floor", path, args.rows)
        ours = _child("time", path, args.rows)
        traced = _child("trace", path, args.rows)
    ratio = ours["total"] / floor["total"]
    expected = args.rows * CLASSES
    print(f"\ninhouse — {args.rows:,} rows × {CLASSES} classes = {expected:,} entries, "
          f"file {size / 1024:.0f} KB (SQLite)")
    print(f"{'':34}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'floor: openpyxl read + 1 INSERT':34}{floor['total']:>10.2f}{floor['rss_mb']:>14.0f}")
    print(f"{'ours: preview':34}{ours['preview']:>10.2f}")
    print(f"{'ours: 正式导入':34}{ours['commit']:>10.2f}")
    print(f"{'ours: preview + 正式导入':34}{ours['total']:>10.2f}{ours['rss_mb']:>14.0f}")
    print(f"ratio ours/floor: {ratio:.2f} (target ≤ 1.5)   "
          f"tracemalloc peak: {traced['py_peak'] / 2**20:.0f} MB "
          f"(traced run's RSS {traced['rss_mb']:.0f} MB)")
    assert ours["entries"] == expected and floor["entries"] == expected


if __name__ == "__main__":
    main()
