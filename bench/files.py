"""files — the file store keeps memory flat for large files (platform issue).

A 300 MB upload is stored through app/workflows/core/files.store (streamed to disk in 1 MB
chunks, hashed, sniffed) and downloaded through the scoped message-attachment page with
the test client, reading the body chunk by chunk. Each runs in a child process; the peak
RSS growth (VmHWM, reset before) is reported next to the floor: copying the same file
with shutil.copyfileobj. Flat memory: the growth does not depend on the file's size.

    python -m bench.files [--mb 300]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PDF_HEAD = b"%PDF-1.4\n"


def _rss_mb(field="VmRSS"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak():
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def make_file(path: Path, mb: int) -> Path:
    block = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        out.write(PDF_HEAD)
        for _ in range(mb):
            out.write(block)
        out.write(b"\n%%EOF\n")
    return path


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
    from app.workflows import messages
    from app.workflows.core import files
    from tests.helpers import PASSWORD, make_firm

    app = fresh_app(work)
    firm = make_firm(app, "11019002", "基准测试文件会计师事务所")
    big = files.doc_type("bench_big_pdf", "大文件", ("pdf",), max_mb=1024)
    with app.app_context():
        admin = db.session.query(User).filter_by(username=firm.admin).one()
        import datetime as dt

        now = dt.datetime.now(dt.timezone.utc)
        thread = messages.start_consultation(admin, now, "其他", "附件很大")
        _reset_peak()
        before = _rss_mb()
        started = time.perf_counter()
        with source.open("rb") as stream:
            row = files.store(admin, now, big, files.Upload("大文件.pdf", stream),
                              "consultation_reply", thread.replies[0].id)
        db.session.commit()
        stored = {"seconds": time.perf_counter() - started,
                  "rss_growth_mb": _rss_mb("VmHWM") - before, "file_id": row.id}
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": firm.admin, "password": PASSWORD, "csrf_token": token})
    _reset_peak()
    before = _rss_mb()
    started = time.perf_counter()
    response = client.get(f"/messages/attachment/{stored['file_id']}", buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    download = {"seconds": time.perf_counter() - started,
                "rss_growth_mb": _rss_mb("VmHWM") - before, "bytes": size,
                "status": response.status_code}
    return {"store": stored, "download": download}


def _child(mode, source, work):
    out = subprocess.run([sys.executable, "-m", "bench.files", "--worker", mode, str(source),
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
    print(f"\nfiles — a {args.mb} MB PDF (peak RSS growth = VmHWM after − RSS before)")
    print(f"{'':38}{'seconds':>9}{'RSS growth MB':>15}")
    print(f"{'floor: shutil.copyfileobj':38}{floor['seconds']:>9.2f}{floor['rss_growth_mb']:>15.1f}")
    print(f"{'ours: files.store (stream, hash, sniff)':38}{ours['store']['seconds']:>9.2f}"
          f"{ours['store']['rss_growth_mb']:>15.1f}")
    print(f"{'ours: scoped download (streamed)':38}{ours['download']['seconds']:>9.2f}"
          f"{ours['download']['rss_growth_mb']:>15.1f}")
    print(f"ratio store/floor: {ours['store']['seconds'] / floor['seconds']:.2f}   "
          f"download/floor: {ours['download']['seconds'] / floor['seconds']:.2f}")


def source_size(mb: int) -> int:
    return len(PDF_HEAD) + mb * 1024 * 1024 + len(b"\n%%EOF\n")


if __name__ == "__main__":
    main()
