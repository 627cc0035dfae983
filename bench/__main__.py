"""Benchmarks: `make bench` (= `.venv/bin/python -m bench`).

    python -m bench                       # every benchmark, default sizes
    python -m bench export_memory --rows 10000,100000 --data-dir bench/data

Each benchmark is a function registered with @benchmark; it gets the parsed
arguments and prints its own small table. Generated data goes in a temporary
directory (removed afterwards) or in --data-dir (bench/data/ is git-ignored).

export_memory — 导出 stays flat: a fresh SQLite database migrated by Alembic (as
`flask db upgrade` does), N persons, then staff signs in through the test client and
streams the 人员 list's CSV and Excel exports (the body is read chunk by chunk into a
file, so only the server side is measured). Each export runs in its own child
process: one untraced run gives the time and the peak RSS growth (the kernel's
high-water mark VmHWM, reset just before, over the RSS before; ru_maxrss where /proc
does not allow the reset), a second run under tracemalloc gives the peak of Python
allocations during the export. Flat memory: the peaks do not grow with the rows.
"""
import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCHMARKS = {}
STAFF_LOGIN = "bench_staff"
PASSWORD = "Bench2026pass"
FIRMS = 10


def benchmark(func):
    """Register a benchmark: func(args) prints its results."""
    BENCHMARKS[func.__name__] = func
    return func


# --- a migrated database -----------------------------------------------------------

def bench_config(data_dir: Path):
    from config import TestConfig

    class BenchConfig(TestConfig):
        TESTING = False
        INSTANCE_DIR = data_dir
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{data_dir / 'bench.db'}"
        UPLOAD_FOLDER = str(data_dir / "uploads")
        FAB_UPDATE_PERMS = True

    return BenchConfig


def migrated_app(data_dir: Path):
    """create_app on a new SQLite file, upgraded by Alembic, roles seeded."""
    import flask_migrate

    from app import create_app
    from app.extensions import db

    config = bench_config(data_dir)
    bootstrap = create_app(config)  # empty database: nothing to sync yet
    with bootstrap.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return create_app(config)  # syncs permissions, seeds roles


def seed_base(app) -> list[int]:
    """FIRMS firms and a staff account; returns the firm ids."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Firm
    from app.roles import STAFF
    from app.workflows import accounts

    now = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        db.session.execute(insert(Firm), [
            {"code": f"3101{n:04d}", "name": f"上海第{n}会计师事务所", "status": "active",
             "created_at": now} for n in range(1, FIRMS + 1)])
        accounts.create_account(username=STAFF_LOGIN, display_name="基准测试", role_name=STAFF,
                                password=PASSWORD, now=now, must_change_password=False)
        db.session.commit()
        return [f.id for f in db.session.query(Firm).order_by(Firm.id)]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯"
POSITIONS = ["合伙人", "项目经理", "高级审计员", "审计员", "助理", "=1+1", "部门经理"]


def add_persons(app, firm_ids, start: int, stop: int, batch: int = 5000) -> None:
    """Persons start..stop-1, bulk-inserted (the export is measured, not the insert)."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Person, PersonType

    rng = random.Random(start)
    now = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        for low in range(start, stop, batch):
            rows = []
            for n in range(low, min(low + batch, stop)):
                cpa = n % 3 == 0
                rows.append({
                    "person_type": PersonType.CPA if cpa else (
                        PersonType.NON_PRACTICING if n % 3 == 1 else PersonType.OTHER),
                    "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                    "gender": "男" if n % 2 else "女",
                    "phone": f"13{n:09d}",
                    "ethnicity": "汉族",
                    "position": rng.choice(POSITIONS),
                    "cert_number": f"31{n:010d}" if cpa else None,
                    "firm_id": firm_ids[n % len(firm_ids)],
                    "status": "active",
                    "created_at": now,
                })
            db.session.execute(insert(Person), rows)
            db.session.commit()


# --- export_memory -----------------------------------------------------------------

def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _proc_status_mb(field: str):
    """VmRSS / VmHWM of this process from /proc (Linux), else None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_rss_peak() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) of this process, where Linux allows."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _stream(client, url, sink):
    """GET url and stream the body into sink (a file); returns (status, bytes)."""
    response = client.get(url)
    size = 0
    try:
        for chunk in response.iter_encoded():
            size += len(chunk)
            sink.write(chunk)
    finally:
        response.close()
    return response.status_code, size


def _count_rows(fmt: str, path: Path) -> int:
    """Data rows in an export file (header excluded), read in chunks."""
    if fmt == "csv":
        with open(path, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return lines - 1
    with zipfile.ZipFile(path) as package:
        sheet = next(n for n in package.namelist() if n.startswith("xl/worksheets/sheet"))
        count, tail = 0, b""
        with package.open(sheet) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                data = tail + chunk
                count += data.count(b"<row")
                tail = data[-3:] if not data.endswith(b"<row") else b""
                count -= tail.count(b"<row")
        return count - 1


def export_worker(data_dir: Path, fmt: str) -> dict:
    """In a child process: sign in as staff, stream one export twice, measure."""
    from app import create_app
    from tests.helpers import WebClient

    app = create_app(bench_config(data_dir))
    client = WebClient(app.test_client())
    assert client.login(STAFF_LOGIN, PASSWORD).status_code == 302 and client.signed_in
    url = f"/personview/export/{fmt}/"
    out = data_dir / f"export.{fmt}"
    with open(out, "wb") as sink:  # warm-up: same code path, no rows
        _stream(client, url + "?_flt_3_name=nobody", sink)

    # RSS growth during the export: VmHWM (reset just before) over VmRSS before, where
    # /proc allows; else ru_maxrss, which only shows growth past start-up's high-water mark
    hwm = _reset_rss_peak() and _proc_status_mb("VmHWM") is not None
    rss_before = _proc_status_mb("VmRSS") if hwm else _maxrss_mb()
    started = time.perf_counter()
    with open(out, "wb") as sink:
        status, size = _stream(client, url, sink)
    elapsed = time.perf_counter() - started
    rss_after = _proc_status_mb("VmHWM") if hwm else _maxrss_mb()
    assert status == 200, status

    tracemalloc.start()
    with open(data_dir / f"traced.{fmt}", "wb") as sink:
        _stream(client, url, sink)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"fmt": fmt, "seconds": elapsed, "bytes": size, "rows": _count_rows(fmt, out),
            "rss_before_mb": rss_before, "rss_delta_mb": rss_after - rss_before,
            "rss_measure": "VmHWM" if hwm else "ru_maxrss",
            "traced_peak_mb": traced_peak / 2**20}


def _run_worker(data_dir: Path, fmt: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "_export_worker", str(data_dir), fmt],
        cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"export worker failed ({fmt})")
    return json.loads(result.stdout.strip().splitlines()[-1])


@benchmark
def export_memory(args):
    sizes = sorted(int(s) for s in args.rows.split(","))
    with _data_dir(args) as data_dir:
        print(f"export_memory: 人员 list as staff, SQLite {data_dir / 'bench.db'}")
        started = time.perf_counter()
        app = migrated_app(data_dir)
        firm_ids = seed_base(app)
        print(f"  migrated + seeded in {time.perf_counter() - started:.1f} s")
        header = (f"  {'rows':>8}  {'format':<6} {'seconds':>8} {'rows/s':>8} {'file MB':>8} "
                  f"{'tracemalloc peak MB':>20} {'peak RSS Δ MB':>14} {'RSS before MB':>14}")
        results, have = [], 0
        for size in sizes:
            started = time.perf_counter()
            add_persons(app, firm_ids, have, size)
            have = size
            print(f"  inserted persons up to {size:,} in {time.perf_counter() - started:.1f} s")
            for fmt in ("csv", "xlsx"):
                r = _run_worker(data_dir, fmt)
                if r["rows"] != size:
                    raise SystemExit(f"{fmt} export held {r['rows']} rows, expected {size}")
                results.append((size, r))
        print(header)
        for size, r in results:
            print(f"  {size:>8,}  {r['fmt']:<6} {r['seconds']:>8.2f} "
                  f"{size / r['seconds']:>8,.0f} {r['bytes'] / 2**20:>8.1f} "
                  f"{r['traced_peak_mb']:>20.1f} {r['rss_delta_mb']:>14.1f} "
                  f"{r['rss_before_mb']:>14.1f}")
        print(f"  peak RSS Δ: {results[0][1]['rss_measure']} during the export over RSS before it;"
              " tracemalloc: second run, Python allocations only")
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            for fmt in ("csv", "xlsx"):
                peak = {s: r["traced_peak_mb"] for s, r in results if r["fmt"] == fmt}
                print(f"  {fmt}: {large / small:g}× the rows → {peak[large] / peak[small]:.2f}× "
                      "the tracemalloc peak")


# --- driver ----------------------------------------------------------------------

class _data_dir:
    """--data-dir (kept, emptied first) or a temporary directory (removed)."""

    def __init__(self, args):
        self.keep = args.data_dir is not None
        self.path = Path(args.data_dir).resolve() if self.keep else None

    def __enter__(self) -> Path:
        if self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True)
        else:
            self.path = Path(tempfile.mkdtemp(prefix="bench-"))
        return self.path

    def __exit__(self, *exc):
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


@benchmark
def staff_import(args):
    """A 20,000-row whole-list staff file vs. its floor (see bench/staff_import.py)."""
    from bench import staff_import as staff_bench

    staff_bench.main(["--rows", str(args.import_rows)])


@benchmark
def files(args):
    """A 300 MB file stored and downloaded with flat memory (see bench/files.py)."""
    from bench import files as files_bench

    files_bench.main([])


@benchmark
def training(args):
    """A 300 MB class handout stored and downloaded with flat memory (bench/training.py)."""
    from bench import training as training_bench

    training_bench.main([])


@benchmark
def hours(args):
    """学员年度学时 / 事务所培训概况 on 60,000 persons and 2,400,000 records (bench/hours.py)."""
    from bench import hours as hours_bench

    hours_bench.main(["--runs", "7"])


@benchmark
def inhouse(args):
    """A 5,000-row 学员名单 bulk upload into 3 classes vs. its floor (bench/inhouse.py)."""
    from bench import inhouse as inhouse_bench

    inhouse_bench.main(["--rows", "5000"])


@benchmark
def learning(args):
    """The daily 网络学习 run crediting 10,000 evaluated lessons vs. its floor (bench/learning.py)."""
    from bench import learning as learning_bench

    learning_bench.main(["--learners", "2000"])


@benchmark
def pages(args):
    """CPU per list page (staff, firm admin, login) vs. its SQL alone (bench/pages.py)."""
    from bench import pages as pages_bench

    pages_bench.main(["--runs", "7", "--requests", "40"])


@benchmark
def exports(args):
    """学员学时明细, 100,000 rows as CSV and XLSX, served, vs. psql \\copy / openpyxl
    (bench/exports.py); on BENCH_DATABASE_URL (a database it may empty) or SQLite."""
    from bench import exports as exports_bench

    url = os.environ.get("BENCH_DATABASE_URL")
    exports_bench.main(["--rows", "100000"] + (["--database-url", url] if url else []))


@benchmark
def pages_scale(args):
    """Every daily list at Beijing size, served, vs. its floor (bench/pages_scale.py); needs
    BENCH_DATABASE_URL, a PostgreSQL database it may empty (skipped without one)."""
    from bench import pages_scale as pages_scale_bench

    url = os.environ.get("BENCH_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        print("\npages_scale: skipped — set BENCH_DATABASE_URL to a PostgreSQL database it may "
              "empty (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages)")
        return
    pages_scale_bench.main(["--database-url", url])


@benchmark
def throughput(args):
    """Requests per second of a list page under 8 clients, served by waitress, next to the
    login page's and a static file's (bench/throughput.py); on the Beijing data pages_scale
    left in BENCH_DATABASE_URL when set, else on a small SQLite database."""
    from bench import throughput as throughput_bench

    url = os.environ.get("BENCH_DATABASE_URL")
    throughput_bench.main(["--database-url", url] if url and url.startswith("postgresql")
                          else [])


@benchmark
def startup(args):
    """`flask --app run.py jobs list`, whole process, vs. importing the framework alone."""
    from bench import startup as startup_bench

    startup_bench.main([])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_export_worker"]:  # internal: one measured export in a child process
        print(json.dumps(export_worker(Path(argv[1]), argv[2])))
        return
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="benchmark",
                        help=f"which to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--rows", default="10000,100000",
                        help="person counts to measure, comma-separated (default 10000,100000)")
    parser.add_argument("--data-dir", help="keep generated data here (e.g. bench/data)")
    parser.add_argument("--import-rows", type=int, default=20_000,
                        help="rows of the staff_import file (default 20000)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in args.names or BENCHMARKS:
        BENCHMARKS[name](args)


if __name__ == "__main__":
    main()
