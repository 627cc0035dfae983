"""Scheduled jobs: a registry of named, idempotent `run(now)` functions, and their run log.

A job module declares:

    @job("deliver_outbox", schedule="interval:30", description="发送待发邮件")
    def deliver_outbox(now):
        ...
        return {"sent": 3}          # counts, stored on the JobRun row

`@job` only describes the function (its Job is `deliver_outbox.job`); the domain that
owns it lists it in its DOMAIN (`jobs=(mail.deliver_outbox,)`) and create_app registers
it in JOBS (app/domains.py). Importing a module registers nothing.

Schedules: "interval:SECONDS" or "daily:HH:MM" (Asia/Shanghai). Every run — scheduled,
caught up after downtime, or from `flask jobs run NAME [--today …]` — goes through
`run_job`, which records a JobRun (started, finished, outcome, counts, error).

Who runs the schedule: `tick(now, holder)` is called every few seconds by every
process that has the scheduler on (app/scheduler.py). Only the holder of the database
lease "scheduler" runs jobs; the lease expires unless renewed, so a dead holder is
replaced by another process after LEASE_SECONDS. Each job is additionally run under
its own short lease ("job:NAME") and its due-ness is read again once that is held, so
a job's slot runs once even if two processes ever believed they held the schedule.

Due-ness comes from the job's last scheduled run (trigger "schedule" or "catch-up"):
- interval:S — due when S seconds have passed since the last run's as-of time;
- daily:HH:MM — due when no run has happened since the latest HH:MM (local) ≤ now.
A run that is late by more than LATE_AFTER (the service was down at its time) is
recorded with trigger "catch-up"; however many slots were missed, it runs once.
Runs from the command line (trigger "cli") do not move the schedule.
"""
import dataclasses
import datetime as dt
import json
import re
import socket
import traceback
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import JobLease, JobRun, JobState

OK = "成功"
FAILED = "失败"

TRIGGER_SCHEDULE = "schedule"
TRIGGER_CATCH_UP = "catch-up"
TRIGGER_CLI = "cli"
SCHEDULED_TRIGGERS = (TRIGGER_SCHEDULE, TRIGGER_CATCH_UP)

SCHEDULER_LEASE = "scheduler"
LEASE_SECONDS = 60
JOB_LEASE_SECONDS = 30 * 60  # a job that crashed its process blocks itself this long at most
LATE_AFTER = dt.timedelta(minutes=2)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_SCHEDULE_RE = re.compile(
    r"^(?:interval:(?P<seconds>[1-9]\d*)|daily:(?P<hh>[01]\d|2[0-3]):(?P<mm>[0-5]\d))$")


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    schedule: str
    func: object
    description: str = ""  # its name as users read it (定时任务)
    labels: dict = dataclasses.field(default_factory=dict)  # count key -> Chinese label


JOBS: dict[str, Job] = {}


def job(name: str, schedule: str, description: str = "", labels: dict | None = None):
    """Describe `func(now) -> dict | None` as a scheduled job (its `.job`); `labels` names
    its counts in Chinese ({"sent": "已发送"}) for 定时任务. Registering it is its domain's
    declaration's business (DOMAIN.jobs), not this decorator's."""
    parse_schedule(schedule)  # a typo fails at import, not at 02:00

    def describe(func):
        func.job = Job(name=name, schedule=schedule, func=func, description=description,
                       labels=dict(labels or {}))
        return func

    return describe


def register(definition) -> Job:
    """Put a job (a Job, or a function decorated with @job) in JOBS; called by create_app
    for each domain's DOMAIN.jobs. The same job again is a no-op; another job under a
    name already taken is refused."""
    definition = getattr(definition, "job", definition)
    if not isinstance(definition, Job):
        raise TypeError(f"{definition!r} is not a job (decorate it with @job)")
    known = JOBS.get(definition.name)
    if known is not None and known != definition:
        raise RuntimeError(f"job {definition.name!r} is registered twice "
                           f"({known.func.__module__} and {definition.func.__module__})")
    JOBS[definition.name] = definition
    return definition


# --- schedules -------------------------------------------------------------------------------
def parse_schedule(schedule: str):
    """("interval", timedelta) or ("daily", time); ValueError for anything else."""
    match = _SCHEDULE_RE.match(schedule or "")
    if not match:
        raise ValueError(f"bad schedule {schedule!r}: use interval:SECONDS or daily:HH:MM")
    if match["seconds"]:
        return "interval", dt.timedelta(seconds=int(match["seconds"]))
    return "daily", dt.time(int(match["hh"]), int(match["mm"]))


def due_at(schedule: str, last_as_of: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The moment the job became due, if it is due at `now`, else None.

    `last_as_of` is the as-of time of the job's last scheduled run (None: never run).
    """
    kind, value = parse_schedule(schedule)
    if kind == "interval":
        if last_as_of is None:
            return now
        moment = last_as_of + value
        return moment if moment <= now else None
    local_now = now.astimezone(LOCAL_TZ)
    slot = dt.datetime.combine(local_now.date(), value, tzinfo=LOCAL_TZ)
    if slot > local_now:
        slot -= dt.timedelta(days=1)
    slot = slot.astimezone(dt.timezone.utc)
    if last_as_of is not None and last_as_of >= slot:
        return None
    return slot


def last_scheduled_run(name: str) -> JobRun | None:
    """The job's last scheduled run: a run-log row, or its last idle run (job_state), which
    is not a row of the log (an unsaved JobRun carrying its as-of time)."""
    run = db.session.scalars(
        select(JobRun).where(JobRun.job == name, JobRun.trigger.in_(SCHEDULED_TRIGGERS))
        .order_by(JobRun.as_of.desc(), JobRun.id.desc()).limit(1)
    ).first()
    state = db.session.get(JobState, name)
    if state is not None and state.last_idle_at is not None and (
            run is None or state.last_idle_at > run.as_of):
        return JobRun(job=name, trigger=TRIGGER_SCHEDULE, as_of=state.last_idle_at, outcome=OK)
    return run


def is_idle(counts: dict) -> bool:
    """A run that found nothing to do: every count is zero."""
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0
               for v in (counts or {}).values())


def _fold_idle_run(run_id: int, name: str, now: dt.datetime) -> None:
    """Replace an idle scheduled run's row by the job's last-idle time."""
    db.session.execute(JobRun.__table__.delete().where(JobRun.id == run_id))
    updated = db.session.execute(
        update(JobState).where(JobState.name == name)
        .values(last_idle_at=now, idle_runs=JobState.idle_runs + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not updated:
        db.session.add(JobState(name=name, last_idle_at=now, idle_runs=1))


def trigger_for(slot: dt.datetime, now: dt.datetime) -> str:
    return TRIGGER_CATCH_UP if now - slot > LATE_AFTER else TRIGGER_SCHEDULE


def due_jobs(now: dt.datetime) -> list[tuple[Job, dt.datetime]]:
    """(job, slot) for every registered job due at `now`, in name order."""
    result = []
    for name in sorted(JOBS):
        definition = JOBS[name]
        last = last_scheduled_run(name)
        slot = due_at(definition.schedule, last.as_of if last else None, now)
        if slot is not None:
            result.append((definition, slot))
    db.session.rollback()  # end the read transaction (SQLite: release the shared lock)
    return result


# --- the lease -------------------------------------------------------------------------------
def acquire_lease(holder: str, now: dt.datetime, name: str = SCHEDULER_LEASE,
                  seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew lease `name` for `holder` until now + seconds; True if held.

    One statement decides: an UPDATE that succeeds only if `holder` already holds it
    or it has expired (PostgreSQL re-checks the condition after waiting for a
    concurrent writer's row lock; SQLite runs one writer at a time), else an INSERT
    that the primary key lets only one contender win.
    """
    expires = now + dt.timedelta(seconds=seconds)
    try:
        taken = db.session.execute(
            update(JobLease)
            .where(JobLease.name == name,
                   or_(JobLease.holder == holder, JobLease.expires_at <= now))
            .values(holder=holder, expires_at=expires)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if taken == 1:
        return True
    try:
        db.session.execute(insert(JobLease).values(name=name, holder=holder, expires_at=expires))
        db.session.commit()
        return True
    except IntegrityError:  # it exists and someone else holds it
        db.session.rollback()
        return False


def release_lease(holder: str, now: dt.datetime, name: str = SCHEDULER_LEASE) -> bool:
    """Give the lease up (on shutdown) so another process need not wait for its expiry."""
    released = db.session.execute(
        update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
        .values(expires_at=now).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return released == 1


def lease_holder(now: dt.datetime, name: str = SCHEDULER_LEASE) -> str | None:
    """Who holds the lease at `now` (None if nobody does)."""
    lease = db.session.get(JobLease, name, populate_existing=True)
    db.session.rollback()
    if lease is None or lease.expires_at <= now:
        return None
    return lease.holder


# --- running ---------------------------------------------------------------------------------
def run_job(name: str, now: dt.datetime, trigger: str = TRIGGER_CLI, clock=None) -> JobRun:
    """Run one job as of `now` and record the run; a failure is recorded, not raised.

    `clock` (optional) gives the wall-clock times stored as started/finished, so that a
    run as of another date still says when it really ran; without it both are `now`.
    """
    definition = JOBS[name]
    clock = clock or (lambda: now)
    run = JobRun(job=name, trigger=trigger, as_of=now, started_at=clock(),
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
    run.finished_at = max(clock(), run.started_at)
    run.outcome = outcome
    run.counts = json.dumps(counts, ensure_ascii=False)
    run.error = error
    if outcome == OK and trigger in SCHEDULED_TRIGGERS and is_idle(counts):
        # nothing to do: not a row of the run log, the job keeps the time instead
        done = JobRun(job=name, trigger=trigger, as_of=now, started_at=run.started_at,
                      finished_at=run.finished_at, outcome=OK, counts=run.counts)
        db.session.expunge(run)
        _fold_idle_run(run_id, name, now)
        db.session.commit()
        return done
    db.session.commit()
    return run


def count_labels(name: str | None, counts: dict) -> str:
    """{"sent": 3, "stuck": 0} → 已发送 3，发送中未确认 0: the job's labels (any job's when
    `name` is None), else the key."""
    if name in JOBS:
        labels = JOBS[name].labels
    else:
        labels = {k: v for job in JOBS.values() for k, v in job.labels.items()}
    return "，".join(f"{labels.get(key, key)} {number}" for key, number in counts.items())


def idle_states() -> dict[str, JobState]:
    """Each job's last idle run (for 定时任务 and `jobs list`)."""
    return {state.name: state for state in db.session.scalars(select(JobState))}


def tick(now: dt.datetime, holder: str, clock=None, lease_seconds: int = LEASE_SECONDS,
         job_lease_seconds: int = JOB_LEASE_SECONDS) -> list[JobRun]:
    """One beat of the schedule: if `holder` holds (or can take) the lease, run what is due.

    Returns the runs made (empty when another process holds the lease). Each job runs
    under its own lease and is checked for due-ness again once that is held.
    """
    if not acquire_lease(holder, now, seconds=lease_seconds):
        return []
    runs = []
    for definition, _slot in due_jobs(now):
        if not acquire_lease(holder, now, seconds=lease_seconds):  # renew; stop if lost
            break
        job_lease = f"job:{definition.name}"
        if not acquire_lease(holder, now, name=job_lease, seconds=job_lease_seconds):
            continue
        try:
            last = last_scheduled_run(definition.name)
            slot = due_at(definition.schedule, last.as_of if last else None, now)
            db.session.rollback()
            if slot is not None:
                runs.append(run_job(definition.name, now, trigger_for(slot, now), clock=clock))
        finally:
            db.session.rollback()
            release_lease(holder, now, name=job_lease)
    return runs


def as_of_date(day: dt.date, now: dt.datetime) -> dt.datetime:
    """`jobs run --today DAY`: the same local time of day as `now`, on DAY (Asia/Shanghai).

    So `--today` with today's date is the same as no option, and a date-based rule sees
    DAY as its local date.
    """
    local = now.astimezone(LOCAL_TZ)
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=LOCAL_TZ) \
        .astimezone(dt.timezone.utc)


def latest_runs() -> dict[str, JobRun]:
    """The most recent run of each job (any trigger), for `jobs list`."""
    newest = (select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job)
              .subquery())
    rows = db.session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job: run for run in rows}
