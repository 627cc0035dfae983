"""One app process with the scheduler on, for tests/test_jobs.py (not a test module).

    python tests/_scheduler_process.py START_AT SECONDS

Environment: OPS_DB (database URL), OPS_INSTANCE (instance folder), OPS_LOG (file
that every execution of a probe job appends one line to). Waits until the epoch time
START_AT (so that several processes start together), builds the real app with a short
tick and lease, lets it run SECONDS, then shuts the scheduler down cleanly.
"""
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402

from app.workflows.core import jobs  # noqa: E402


def _probe(name):
    def run(now):
        line = f"{name} {os.getpid()} {now.isoformat()}\n"
        fd = os.open(os.environ["OPS_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one write with O_APPEND: lines never interleave
        finally:
            os.close(fd)
        return {"recorded": 1}

    return run


# a test's own jobs, registered as create_app registers the domains' (DOMAIN.jobs)
jobs.register(jobs.job("probe_daily", schedule="daily:00:00", description="测试")(
    _probe("probe_daily")))
jobs.register(jobs.job("probe_interval", schedule="interval:1", description="测试")(
    _probe("probe_interval")))

# A slow database: reading a probe's last run takes a while, which widens the gap between
# "it is due" and "its run is recorded". Without the leases, both processes would run
# the same slot in that gap; with them, this only makes ticks slower.
_last_scheduled_run = jobs.last_scheduled_run


def _slow_last_scheduled_run(name):
    found = _last_scheduled_run(name)
    if name.startswith("probe"):
        time.sleep(0.3)  # what was read may be stale by the time it is used
    return found


jobs.last_scheduled_run = _slow_last_scheduled_run


class ProcessConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = os.environ["OPS_DB"]
    INSTANCE_DIR = Path(os.environ["OPS_INSTANCE"])
    UPLOAD_FOLDER = str(Path(os.environ["OPS_INSTANCE"]) / "uploads")
    FAB_UPDATE_PERMS = False  # the test session already synced them
    SCHEDULER_ENABLED = True
    SCHEDULER_TICK_SECONDS = 0.2
    SCHEDULER_LEASE_SECONDS = 3
    SCHEDULER_JOB_LEASE_SECONDS = 2


def main(start_at: float, seconds: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    from app import create_app
    from app.scheduler import stop_scheduler

    app = create_app(ProcessConfig)
    print("started", os.getpid(), app.extensions["scheduler_holder"], dt.datetime.now(),
          flush=True)
    time.sleep(seconds)
    stop_scheduler(app)
    print("stopped", os.getpid(), flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]))
