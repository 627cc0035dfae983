"""Scheduled jobs: a registry of named, idempotent `run(now)` functions, and their run log.

A job module declares:

    @job("deliver_outbox", schedule="interval:60", description="发送待发邮件")
    def deliver_outbox(now):
        ...
        return {"sent": 3}          # counts, stored on the JobRun row

Schedules: "interval:SECONDS" or "daily:HH:MM" (Asia/Shanghai). Every run — scheduled,
caught up after downtime, or from `flask jobs run NAME [--today …]` — goes through
`run_job`, which records a JobRun (started, finished, outcome, counts, error).
"""
import dataclasses
import datetime as dt
import json
import socket
import traceback

from app.extensions import db
from app.models import JobRun

OK = "成功"
FAILED = "失败"


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    schedule: str
    func: object
    description: str = ""


JOBS: dict[str, Job] = {}


def job(name: str, schedule: str, description: str = ""):
    """Register `func(now) -> dict | None` as a scheduled job."""

    def register(func):
        JOBS[name] = Job(name=name, schedule=schedule, func=func, description=description)
        return func

    return register


def run_job(name: str, now: dt.datetime, trigger: str = "cli") -> JobRun:
    """Run one job as of `now` and record the run; a failure is recorded, not raised."""
    definition = JOBS[name]
    run = JobRun(job=name, trigger=trigger, as_of=now, started_at=now,
                 host=socket.gethostname()[:128])
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        counts = definition.func(now) or {}
        db.session.commit()
        outcome, error = OK, None
    except Exception:  # noqa: BLE001 — the run log is where failures are seen
        db.session.rollback()
        counts, outcome, error = {}, FAILED, traceback.format_exc()[-4000:]
    run = db.session.get(JobRun, run_id)
    run.finished_at = max(now, run.started_at)
    run.outcome = outcome
    run.counts = json.dumps(counts, ensure_ascii=False)
    run.error = error
    db.session.commit()
    return run
