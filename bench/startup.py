"""startup — how long a CLI command (and so a worker) takes to start (platform issue).

`flask --app run.py jobs list`, whole process, on a migrated SQLite instance, run N
times; next to it, in the same run, the floor: a process that only imports the
framework (Flask-AppBuilder and Flask-Migrate, which every `flask` command loads) and
exits. The machine's speed drifts between runs, so the ratio is the steadier figure.
Target: `jobs list` ≤ 1.5 s.

The project's own modules are byte-compiled first (`python -m compileall`), as in any
deployment: the framework's are (pip compiles what it installs), and a machine that sets
PYTHONDONTWRITEBYTECODE would otherwise compile ours from source at every start.

    python -m bench.startup [--runs 7]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"


def _timed(command, env) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app", "config.py", "run.py"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "INSTANCE_PATH": tmp}
        env.pop("DATABASE_URL", None)
        subprocess.run([str(FLASK), "--app", "run.py", "db", "upgrade"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        ours, floor = [], []
        for _ in range(args.runs):  # interleaved: both see the same drift
            floor.append(_timed([sys.executable, "-c",
                                 "import flask_appbuilder, flask_migrate, flask.cli"], env))
            ours.append(_timed([str(FLASK), "--app", "run.py", "jobs", "list"], env))
    best, median = min(ours), statistics.median(ours)
    print(f"\nstartup — {args.runs} runs each, seconds (min / median)")
    print(f"{'floor: import FAB + Flask-Migrate':36}{min(floor):>8.2f}{statistics.median(floor):>8.2f}")
    print(f"{'flask --app run.py jobs list':36}{best:>8.2f}{median:>8.2f}")
    print(f"ratio jobs list / floor (min): {best / min(floor):.2f}   "
          f"jobs list min {best:.2f} s, median {median:.2f} s (target ≤ 1.5)")


if __name__ == "__main__":
    main()
