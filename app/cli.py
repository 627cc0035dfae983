"""`flask --app run.py ...` commands of this project (DESIGN §6)."""
import click
from flask import Flask
from flask.cli import AppGroup

from app import clock
from app.extensions import db


def register_cli(app: Flask) -> None:
    demo = AppGroup("demo", help="演示数据")

    @demo.command("seed")
    def demo_seed():
        """Seed demo data on an empty database and print the demo accounts."""
        from app.demo import existing_accounts, seed
        from app.models import Firm

        if db.session.query(Firm.id).first() is not None:
            click.echo("数据库已有数据，跳过演示数据。")
            rows = existing_accounts()
        else:
            rows = seed(clock.now())
        click.echo("演示账号（首次登录须修改初始密码 / initial passwords must be changed）：")
        click.echo(f"{'角色':<10}{'登录名':<16}{'密码':<18}说明")
        for role, login, password, note in rows:
            click.echo(f"{role:<12}{login:<18}{password:<20}{note}")

    app.cli.add_command(demo)

    app.cli.add_command(_jobs_cli())


def _jobs_cli() -> AppGroup:
    """`jobs list` and `jobs run NAME [--today YYYY-MM-DD]` (DESIGN §6)."""
    import json

    from app.workflows.core import jobs

    group = AppGroup("jobs", help="定时任务")

    @group.command("list")
    def jobs_list():
        """Every registered job: name, schedule, last run and its outcome."""
        latest = jobs.latest_runs()
        idle = jobs.idle_states()
        click.echo(f"{'任务':<22}{'计划':<16}{'最近运行（北京时间）':<16}{'结果':<6}"
                   f"{'最近无事可做':<14}说明")
        for name in sorted(jobs.JOBS):
            definition = jobs.JOBS[name]
            run = latest.get(name)
            when = clock.to_local(run.started_at).strftime("%Y-%m-%d %H:%M:%S") if run else "-"
            outcome = (run.outcome or "运行中") if run else "-"
            state = idle.get(name)
            quiet = (clock.to_local(state.last_idle_at).strftime("%Y-%m-%d %H:%M:%S")
                     if state is not None and state.last_idle_at else "-")
            click.echo(f"{name:<24}{definition.schedule:<18}{when:<22}{outcome:<8}{quiet:<22}"
                       f"{definition.description}")

    @group.command("run")
    @click.argument("name")
    @click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="按该日期运行（北京时间，取当前时刻的时分秒），默认今天")
    def jobs_run(name, today):
        """Run job NAME now, or as of --today YYYY-MM-DD: the same local time of day on
        that date (Asia/Shanghai). Prints the outcome and counts; exit 1 on failure."""
        if name not in jobs.JOBS:
            click.echo(f"没有名为 {name} 的定时任务；可用：{', '.join(sorted(jobs.JOBS))}",
                       err=True)
            raise SystemExit(2)
        real_now = clock.now()
        as_of = jobs.as_of_date(today.date(), real_now) if today else real_now
        run = jobs.run_job(name, as_of, jobs.TRIGGER_CLI, clock=clock.now)
        counts = json.loads(run.counts or "{}")
        click.echo(f"{name}：{run.outcome}（按 {clock.to_local(as_of):%Y-%m-%d %H:%M:%S} 运行）")
        click.echo(json.dumps(counts, ensure_ascii=False))
        if run.outcome != jobs.OK:
            click.echo(run.error or "", err=True)
            raise SystemExit(1)

    return group
