"""The scheduled-jobs backbone: schedules, the database lease, catch-up, the CLI, and two
real app processes sharing one database."""
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.models import JobLease, JobRun, JobState
from app.workflows.core import jobs
from tests.helpers import NOW

UTC = dt.timezone.utc
SHANGHAI = jobs.LOCAL_TZ


def local(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def probes(monkeypatch):
    """Only test jobs registered; each records the `now` it ran as of."""
    calls = []
    registry = {}
    monkeypatch.setattr(jobs, "JOBS", registry)

    def add(name, schedule, fail=False):
        def run(now):
            calls.append((name, now))
            if fail:
                raise RuntimeError("模拟失败")
            return {"done": 1}

        jobs.register(jobs.job(name, schedule)(run))

    return calls, add


# --- schedules ------------------------------------------------------------------------------
def test_interval_schedule_is_due_after_its_interval():
    assert jobs.due_at("interval:30", None, NOW) == NOW
    assert jobs.due_at("interval:30", NOW, NOW + dt.timedelta(seconds=29)) is None
    assert jobs.due_at("interval:30", NOW, NOW + dt.timedelta(seconds=30)) == \
        NOW + dt.timedelta(seconds=30)


def test_daily_schedule_is_in_shanghai_time():
    # 02:00 in Shanghai is 18:00 UTC the day before
    slot = local(2026, 11, 23, 2, 0)
    assert jobs.due_at("daily:02:00", slot - dt.timedelta(days=1), local(2026, 11, 23, 1, 59)) \
        is None
    assert jobs.due_at("daily:02:00", slot - dt.timedelta(days=1), local(2026, 11, 23, 2, 0)) \
        == slot
    assert jobs.due_at("daily:02:00", slot, local(2026, 11, 23, 23, 0)) is None
    # never run: due for the latest slot
    assert jobs.due_at("daily:02:00", None, local(2026, 11, 23, 1, 0)) == \
        local(2026, 11, 22, 2, 0)


@pytest.mark.parametrize("bad", ["", "interval:0", "interval:x", "daily:24:00", "daily:2:00",
                                 "weekly:mon", "interval:30 "])
def test_bad_schedules_are_refused_at_registration(bad):
    with pytest.raises(ValueError):
        jobs.job("bad", bad)


def test_every_job_module_is_registered_at_start(app):
    assert "deliver_outbox" in jobs.JOBS
    assert jobs.JOBS["deliver_outbox"].schedule == "interval:30"


# --- the lease ------------------------------------------------------------------------------
def test_lease_one_contender_wins_the_other_takes_over_only_after_expiry(app):
    with app.app_context():
        assert jobs.acquire_lease("A", NOW, seconds=60)
        assert not jobs.acquire_lease("B", NOW + dt.timedelta(seconds=1), seconds=60)
        assert jobs.lease_holder(NOW + dt.timedelta(seconds=1)) == "A"
        # A renews while alive
        assert jobs.acquire_lease("A", NOW + dt.timedelta(seconds=50), seconds=60)
        assert not jobs.acquire_lease("B", NOW + dt.timedelta(seconds=100), seconds=60)
        # A dies: after its expiry B takes the lease, and A cannot take it back
        assert jobs.acquire_lease("B", NOW + dt.timedelta(seconds=110), seconds=60)
        assert not jobs.acquire_lease("A", NOW + dt.timedelta(seconds=111), seconds=60)
        assert jobs.lease_holder(NOW + dt.timedelta(seconds=111)) == "B"
        # a clean shutdown hands it over at once
        assert jobs.release_lease("B", NOW + dt.timedelta(seconds=112))
        assert jobs.acquire_lease("A", NOW + dt.timedelta(seconds=112), seconds=60)


@pytest.mark.parametrize("lease_exists", [False, True], ids=["free", "expired"])
def test_lease_contenders_racing_at_the_same_moment_never_both_win(app, lease_exists):
    contenders = 6
    for round_number in range(5):
        now = NOW + dt.timedelta(minutes=10 * round_number)
        with app.app_context():
            db.session.query(JobLease).delete()
            if lease_exists:
                db.session.add(JobLease(name=jobs.SCHEDULER_LEASE, holder="dead",
                                        expires_at=now - dt.timedelta(seconds=1)))
            db.session.commit()
        start = threading.Barrier(contenders, timeout=20)
        won = []

        def contend(name):
            with app.app_context():
                start.wait()
                if jobs.acquire_lease(name, now, seconds=60):
                    won.append(name)

        threads = [threading.Thread(target=contend, args=(f"P{i}",)) for i in range(contenders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(won) == 1, (round_number, won)
        with app.app_context():
            assert jobs.lease_holder(now) == won[0]


# --- ticks ----------------------------------------------------------------------------------
def _runs(app, name=None):
    with app.app_context():
        query = db.session.query(JobRun).order_by(JobRun.id)
        if name:
            query = query.filter_by(job=name)
        return [(r.job, r.trigger, r.as_of, r.outcome, json.loads(r.counts or "{}"))
                for r in query]


def test_only_the_lease_holder_runs_due_jobs(app, probes):
    calls, add = probes
    add("every_minute", "interval:60")
    with app.app_context():
        assert [r.job for r in jobs.tick(NOW, "A")] == ["every_minute"]
        assert jobs.tick(NOW, "B") == []  # B is not the holder
        assert jobs.tick(NOW + dt.timedelta(seconds=30), "A") == []  # not due yet
        assert jobs.tick(NOW + dt.timedelta(seconds=61), "B") == []
        assert [r.job for r in jobs.tick(NOW + dt.timedelta(seconds=61), "A")] == ["every_minute"]
    assert [now for _name, now in calls] == [NOW, NOW + dt.timedelta(seconds=61)]
    assert [r[1] for r in _runs(app)] == ["schedule", "schedule"]


def test_a_failing_job_is_recorded_and_the_others_still_run(app, probes):
    calls, add = probes
    add("broken", "interval:60", fail=True)
    add("fine", "interval:60")
    with app.app_context():
        runs = jobs.tick(NOW, "A")
        assert [(r.job, r.outcome) for r in runs] == [("broken", jobs.FAILED), ("fine", jobs.OK)]
        assert "模拟失败" in runs[0].error


def test_a_run_missed_while_down_is_caught_up_once(app, probes):
    calls, add = probes
    add("nightly", "daily:02:00")
    with app.app_context():
        # last ran three nights ago; the service was down since
        db.session.add(JobRun(job="nightly", trigger="schedule", as_of=local(2026, 11, 20, 2, 0),
                              started_at=local(2026, 11, 20, 2, 0), outcome=jobs.OK))
        db.session.commit()
        start = local(2026, 11, 23, 9, 0)
        runs = jobs.tick(start, "A")
        assert [(r.job, r.trigger) for r in runs] == [("nightly", "catch-up")]
        for seconds in (15, 30, 3600):  # later ticks of the same day: nothing more
            assert jobs.tick(start + dt.timedelta(seconds=seconds), "A") == []
        # the next night runs on time
        runs = jobs.tick(local(2026, 11, 24, 2, 0, 10), "A")
        assert [(r.job, r.trigger) for r in runs] == [("nightly", "schedule")]
    assert len(calls) == 2


def test_a_new_holder_catches_up_once_after_the_old_one_died(app, probes):
    calls, add = probes
    add("nightly", "daily:02:00")
    with app.app_context():
        assert jobs.tick(local(2026, 11, 22, 2, 0, 5), "A")  # A runs the 22nd's slot
        # A dies at 01:00 on the 23rd; B starts at 08:00
        assert jobs.tick(local(2026, 11, 23, 8, 0), "B")[0].trigger == "catch-up"
        assert jobs.tick(local(2026, 11, 23, 8, 0, 15), "B") == []
    assert len(calls) == 2


def test_cli_runs_do_not_move_the_schedule(app, probes):
    calls, add = probes
    add("every_minute", "interval:60")
    with app.app_context():
        jobs.run_job("every_minute", NOW + dt.timedelta(days=30), jobs.TRIGGER_CLI)
        assert len(jobs.tick(NOW, "A")) == 1


# --- CLI ------------------------------------------------------------------------------------
def test_jobs_run_as_of_a_date_and_jobs_list(app, probes, monkeypatch):
    from app import clock

    calls, add = probes
    add("reminders", "daily:08:00")
    add("broken", "interval:60", fail=True)
    monkeypatch.setattr(clock, "now", lambda: local(2026, 11, 23, 10, 30))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "reminders", "--today", "2026-03-01"])
    assert result.exit_code == 0, result.output
    assert "成功" in result.output and '"done": 1' in result.output
    # as of that date, at the current local time of day
    assert calls == [("reminders", local(2026, 3, 1, 10, 30))]
    assert _runs(app, "reminders") == [("reminders", "cli", local(2026, 3, 1, 10, 30), jobs.OK,
                                        {"done": 1})]
    result = runner.invoke(args=["jobs", "run", "reminders"])
    assert result.exit_code == 0 and calls[-1] == ("reminders", local(2026, 11, 23, 10, 30))

    result = runner.invoke(args=["jobs", "run", "broken"])
    assert result.exit_code == 1 and "失败" in result.output
    assert runner.invoke(args=["jobs", "run", "nosuchjob"]).exit_code != 0
    assert runner.invoke(args=["jobs", "run", "reminders", "--today", "2026-13-01"]).exit_code != 0

    listing = runner.invoke(args=["jobs", "list"])
    assert listing.exit_code == 0
    lines = {line.split()[0]: line for line in listing.output.splitlines()[1:]}
    assert "daily:08:00" in lines["reminders"] and "2026-11-23 10:30" in lines["reminders"]
    assert "成功" in lines["reminders"] and "失败" in lines["broken"]


def test_jobs_list_shows_every_registered_job(app):
    listing = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert listing.exit_code == 0
    for name in jobs.JOBS:
        assert name in listing.output
    assert "deliver_outbox" in listing.output and "发送待发邮件" in listing.output


# --- two real processes ---------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parents[1] / "_scheduler_process.py"


def _start_processes(app, tmp_path, count, seconds):
    log = tmp_path / "executions.log"
    env = {**os.environ, "OPS_DB": app.config["SQLALCHEMY_DATABASE_URI"],
           "OPS_INSTANCE": str(tmp_path), "OPS_LOG": str(log)}
    start_at = time.time() + 3  # both build their app at the same moment
    processes = [
        subprocess.Popen([sys.executable, str(SCRIPT), str(start_at), str(seconds)], cwd=ROOT,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    return processes, log


def _executions(log):
    if not log.exists():
        return []
    return [(name, int(pid), dt.datetime.fromisoformat(at))
            for name, pid, at in (line.split() for line in log.read_text().splitlines())]


def _finish(processes, timeout=60):
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        outputs.append((process.returncode, out, err))
    return outputs


def _assert_each_slot_ran_once(app, executions, killed=False):
    daily = [e for e in executions if e[0] == "probe_daily"]
    assert len(daily) == 1, daily  # due at start in both processes: run once
    interval = sorted(at for name, _pid, at in executions if name == "probe_interval")
    assert len(interval) >= 2, interval
    assert len(set(interval)) == len(interval), "one slot ran twice"
    gaps = [later - earlier for earlier, later in zip(interval, interval[1:])]
    assert min(gaps) >= dt.timedelta(seconds=1), gaps  # never two runs within one interval
    with app.app_context():
        recorded = {job: count for job, count in db.session.query(
            JobRun.job, db.func.count(JobRun.id)).group_by(JobRun.job)}
        outbox = db.session.query(JobRun).filter_by(job="deliver_outbox").all()
        # a run with nothing to send is no row of the log: it is counted on job_state
        state = db.session.get(JobState, "deliver_outbox")
        outbox += [state] * (state.idle_runs if state is not None else 0)
    assert recorded["probe_daily"] == 1
    # every execution has its run row (committed before the job starts); a process killed
    # between that commit and the job leaves a row with no execution, never the reverse
    if killed:
        assert recorded["probe_interval"] - len(interval) in (0, 1)
    else:
        assert recorded["probe_interval"] == len(interval)
    assert len(outbox) == 1, "deliver_outbox (every 30 s) ran more than once in a few seconds"


def test_two_app_processes_started_together_run_each_scheduled_job_once(app, tmp_path):
    processes, log = _start_processes(app, tmp_path, count=2, seconds=5)
    outputs = _finish(processes)
    for code, out, err in outputs:
        assert code == 0, err[-3000:]
        assert "stopped" in out
    _assert_each_slot_ran_once(app, _executions(log))
    from app import clock

    with app.app_context():  # a clean shutdown gave the lease up
        assert jobs.lease_holder(clock.now()) is None


def test_when_the_holder_is_killed_the_other_process_takes_over(app, tmp_path):
    processes, log = _start_processes(app, tmp_path, count=2, seconds=12)
    deadline = time.time() + 30
    while time.time() < deadline and not any(e[0] == "probe_interval" for e in _executions(log)):
        time.sleep(0.2)
    executions = _executions(log)
    assert executions, "no process ran the schedule"
    holder_pid = executions[-1][1]
    killed = next(p for p in processes if p.pid == holder_pid)
    os.kill(holder_pid, signal.SIGKILL)  # no clean shutdown: the lease must expire
    killed.wait(10)
    survivor = next(p for p in processes if p is not killed)
    (code, out, err), = _finish([survivor])
    assert code == 0, err[-3000:]
    after = [e for e in _executions(log) if e[1] == survivor.pid]
    assert any(name == "probe_interval" for name, _pid, _at in after), \
        "the survivor never took over the schedule"
    _assert_each_slot_ran_once(app, _executions(log), killed=True)


def test_an_idle_scheduled_run_is_no_row_but_the_jobs_last_idle_time(app):
    """deliver_outbox every 30 s with nothing to send: no run-log rows, one job_state; the
    schedule still counts it as the last run (issue 14)."""
    with app.app_context():
        first = jobs.run_job("deliver_outbox", NOW, jobs.TRIGGER_SCHEDULE)
        later = NOW + dt.timedelta(seconds=30)
        jobs.run_job("deliver_outbox", later, jobs.TRIGGER_SCHEDULE)
        assert first.outcome == jobs.OK
        assert db.session.query(JobRun).filter_by(job="deliver_outbox").count() == 0
        state = db.session.get(JobState, "deliver_outbox")
        assert state.idle_runs == 2 and state.last_idle_at == later
        assert jobs.last_scheduled_run("deliver_outbox").as_of == later
        assert "deliver_outbox" not in [d.name for d, _ in jobs.due_jobs(
            later + dt.timedelta(seconds=10))]
        # a run from the command line is always a row
        jobs.run_job("deliver_outbox", later, jobs.TRIGGER_CLI)
        assert db.session.query(JobRun).filter_by(job="deliver_outbox").count() == 1


def test_the_job_log_reads_in_chinese(app, world, client):
    with app.app_context():
        jobs.run_job("deliver_outbox", NOW, jobs.TRIGGER_SCHEDULE)  # idle: folded
        jobs.run_job("deliver_outbox", NOW, jobs.TRIGGER_CLI)
    client.login(world.staff)
    page = client.get("/jobrunview/list/").get_data(as_text=True)
    assert "发送待发邮件" in page and "已发送 0" in page and "命令行" in page
    assert "deliver_outbox" not in page and '"sent"' not in page and "sent:" not in page
    assert 'id="job-table"' in page and "每 30 秒" in page


def test_every_job_of_the_app_names_its_counts_in_chinese(app):
    """定时任务 showed `persons 16，firm_admins 10` (issue 23, small things): every job the
    app registers declares a Chinese label for each count, and the page shows the labels."""
    import re

    ours = {name: job for name, job in jobs.JOBS.items()
            if job.func.__module__.startswith("app.")}
    assert "cpe_monthly_reminder" in ours
    for name, job in ours.items():
        assert job.labels, f"{name} declares no labels for its counts"
        assert all(re.search(r"[\u4e00-\u9fff]", label) for label in job.labels.values()), name
    assert jobs.count_labels("cpe_monthly_reminder", {"persons": 16, "firm_admins": 10}) \
        == "已提醒人员 16，已提醒事务所管理员 10"
    assert jobs.count_labels(None, {"persons": 16}) == "已提醒人员 16"
