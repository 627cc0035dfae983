"""In-process APScheduler: every process with SCHEDULER_ENABLED ticks; one of them runs jobs.

Each process (a waitress server, every gunicorn worker, every host) starts a
BackgroundScheduler whose only APScheduler job is `jobs.tick` every
SCHEDULER_TICK_SECONDS. The tick runs the registered jobs only in the process that
holds the database lease "scheduler" (app/workflows/jobs.py); the others stay idle and
take over within SCHEDULER_LEASE_SECONDS if the holder dies. The first tick comes
right after start, so a run missed while the service was down is caught up at once.

Do not start it before forking (gunicorn --preload): threads do not survive a fork.
"""
import atexit
import logging
import os
import signal
import socket
import sys
import threading
import uuid

from apscheduler.schedulers.background import BackgroundScheduler

from app import clock

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 15


def holder_id() -> str:
    """Names this process in the lease: host, pid and a random part (pids repeat)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _tick(app, holder: str, lease_seconds: int, job_lease_seconds: int) -> None:
    from app.workflows.core import jobs
    from app.workflows.core.commands import abandon

    with app.app_context():
        try:
            for run in jobs.tick(clock.now(), holder, clock=clock.now,
                                 lease_seconds=lease_seconds,
                                 job_lease_seconds=job_lease_seconds):
                log.info("job %s (%s): %s %s", run.job, run.trigger, run.outcome, run.counts)
        except Exception:  # noqa: BLE001 — a database hiccup must not kill the scheduler
            abandon()
            log.exception("scheduler tick failed")


def start_scheduler(app) -> BackgroundScheduler:
    import datetime as dt

    from app.workflows.core import jobs

    seconds = float(app.config.get("SCHEDULER_TICK_SECONDS") or DEFAULT_TICK_SECONDS)
    lease_seconds = int(app.config.get("SCHEDULER_LEASE_SECONDS") or jobs.LEASE_SECONDS)
    job_lease_seconds = int(app.config.get("SCHEDULER_JOB_LEASE_SECONDS")
                            or jobs.JOB_LEASE_SECONDS)
    holder = holder_id()
    scheduler = BackgroundScheduler(timezone=app.config.get("TIMEZONE", "Asia/Shanghai"))
    scheduler.add_job(
        _tick, "interval", seconds=seconds, args=(app, holder, lease_seconds, job_lease_seconds),
        id="tick",
        max_instances=1, coalesce=True, misfire_grace_time=None,
        next_run_time=clock.now() + dt.timedelta(seconds=min(1.0, seconds)),
    )
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    app.extensions["scheduler_holder"] = holder
    atexit.register(stop_scheduler, app)
    _exit_cleanly_on_sigterm()
    log.info("scheduler started as %s, ticking every %ss, %d jobs registered",
             holder, seconds, len(jobs.JOBS))
    return scheduler


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM ends Python without running atexit, so the lease would only expire; turn
    it into a normal exit. Servers that handle SIGTERM themselves (gunicorn) are left alone."""
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def stop_scheduler(app) -> None:
    """Clean shutdown: wait for a running tick, then give the lease up for the next process."""
    from app.workflows.core import jobs

    scheduler = app.extensions.pop("scheduler", None)
    if scheduler is None:
        return
    scheduler.shutdown(wait=True)
    holder = app.extensions.pop("scheduler_holder", None)
    try:
        with app.app_context():
            jobs.release_lease(holder, clock.now())
    except Exception:  # noqa: BLE001 — at exit the database may already be gone
        log.warning("could not release the scheduler lease", exc_info=True)
    log.info("scheduler stopped")
