"""training — a 300 MB handout (讲义) is stored and downloaded with flat memory (issue 9).

The handout is stored through the class's workflow (classes.add_handouts → the file store:
streamed to disk in 1 MB chunks, hashed, sniffed) and downloaded by a firm admin through
the scoped 讲义下载 page (/training/handouts/<class>/download?file=…) with the test client,
reading the body chunk by chunk. Each runs in a child process; the peak RSS growth (VmHWM,
reset before, over the RSS before) is reported next to the floor: copying the same file
with shutil.copyfileobj. Flat memory: the growth does not depend on the file's size.

    python -m bench.training [--mb 300]
"""
import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.files import _reset_peak, _rss_mb, make_file, source_size  # noqa: E402


def worker(mode: str, source: Path, work: Path) -> dict:
    if mode == "floor":
        import shutil

        _reset_peak()
        before = _rss_mb()
        started = time.perf_counter()
        with source.open("rb") as fin, (work / "copy.pdf").open("wb") as fout:
            shutil.copyfileobj(fin, fout, 1024 * 1024)
        return {"seconds": time.perf_counter() - started,
                "rss_growth_mb": _rss_mb("VmHWM") - before}
    from bench.staff_import import fresh_app
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db
    from app.roles import STAFF
    from app.workflows.core import files
    from app.workflows.training import classes
    from tests.helpers import PASSWORD, make_firm, make_user

    app = fresh_app(work)
    firm = make_firm(app, "11019003", "基准测试讲义会计师事务所")
    make_user(app, "bench_staff", STAFF)
    now = dt.datetime.now(dt.timezone.utc)
    with app.app_context():
        staff = db.session.query(User).filter_by(username="bench_staff").one()
        item = classes.save_class(staff, now, {
            "name": "基准测试培训班", "hours": "8", "category": "专业课",
            "start_date": "2030-01-10", "end_date": "2030-01-10",
            "enroll_start": "2029-12-01 00:00", "enroll_end": "2030-01-05 23:59",
            "location": "北京注协五层报告厅", "capacity": "100"})
        class_id = item.id
        _reset_peak()
        before = _rss_mb()
        started = time.perf_counter()
        with source.open("rb") as stream:
            (row,) = classes.add_handouts(staff, now, class_id,
                                          [files.Upload("全部课件.pdf", stream)])
        stored = {"seconds": time.perf_counter() - started,
                  "rss_growth_mb": _rss_mb("VmHWM") - before, "file_id": row.id,
                  "shown": files.human_size(row.size)}
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": firm.admin, "password": PASSWORD,
                                 "csrf_token": token})
    listing = client.get(f"/training/handouts/{class_id}").get_data(as_text=True)
    assert f"下载({stored['shown']})" in listing, listing[-2000:]
    _reset_peak()
    before = _rss_mb()
    started = time.perf_counter()
    response = client.get(f"/training/handouts/{class_id}/download?file={stored['file_id']}",
                          buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    download = {"seconds": time.perf_counter() - started,
                "rss_growth_mb": _rss_mb("VmHWM") - before, "bytes": size,
                "status": response.status_code}
    return {"store": stored, "download": download}


def _child(mode, source, work):
    out = subprocess.run([sys.executable, "-m", "bench.training", "--worker", mode, str(source),
                          str(work)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(worker(argv[1], Path(argv[2]), Path(argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = make_file(tmp / "big.pdf", args.mb)
        (tmp / "floor").mkdir()
        (tmp / "ours").mkdir()
        floor = _child("floor", source, tmp / "floor")
        ours = _child("ours", source, tmp / "ours")
    assert ours["download"]["status"] == 200
    assert ours["download"]["bytes"] == source_size(args.mb)
    print(f"\ntraining — a {args.mb} MB handout, shown as 下载({ours['store']['shown']}) "
          f"(peak RSS growth = VmHWM after − RSS before)")
    print(f"{'':40}{'seconds':>9}{'RSS growth MB':>15}")
    print(f"{'floor: shutil.copyfileobj':40}{floor['seconds']:>9.2f}"
          f"{floor['rss_growth_mb']:>15.1f}")
    print(f"{'ours: classes.add_handouts (stored)':40}{ours['store']['seconds']:>9.2f}"
          f"{ours['store']['rss_growth_mb']:>15.1f}")
    print(f"{'ours: 讲义下载 (firm admin, streamed)':40}{ours['download']['seconds']:>9.2f}"
          f"{ours['download']['rss_growth_mb']:>15.1f}")
    print(f"ratio store/floor: {ours['store']['seconds'] / floor['seconds']:.2f}   "
          f"download/floor: {ours['download']['seconds'] / floor['seconds']:.2f}   "
          f"download RSS growth / floor: "
          f"{ours['download']['rss_growth_mb'] / max(floor['rss_growth_mb'], 0.1):.2f}")


if __name__ == "__main__":
    main()
