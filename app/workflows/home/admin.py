"""The administrator's home: scheduled jobs that failed or have not run when due, mail /
SMS / WeChat that could not be delivered, the file store's size, accounts locked out."""
import dataclasses
import datetime as dt

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.extensions import db
from app.models import JobRun, JobState, OutboxMail, OutboxSms, OutboxWechat, StoredFile
from app.models.outbox import OutboxStatus
from app.workflows.core import jobs
from app.workflows.home.common import Chart

LATE = dt.timedelta(hours=1)  # a job this late has not run (the scheduler ticks every 15 s)
FAILED_LOGINS = 5


@dataclasses.dataclass
class JobProblem:
    name: str
    label: str
    problem: str  # 最近一次运行失败 / 到期未运行 / 从未运行
    when: dt.datetime | None
    error: str = ""


@dataclasses.dataclass
class AdminHome:
    jobs: list
    jobs_total: int
    outboxes: list      # (label, failed count, link, latest failures [(to, subject, error)])
    storage_total: int
    storage: list       # (owner kind, files, bytes)
    inactive: list      # users deactivated
    failing: list       # users with many failed sign-ins
    charts: list


def job_problems(now) -> list[JobProblem]:
    """Every registered job whose latest run failed, or which is due for longer than an hour
    (never run, or the scheduler has stopped): two grouped queries, then per job in Python
    (there are about twenty jobs, not people)."""
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    latest = {r.job: r for r in db.session.scalars(
        select(JobRun).join(newest, JobRun.id == newest.c.id))}
    scheduled = dict(db.session.execute(
        select(JobRun.job, func.max(JobRun.as_of))
        .where(JobRun.trigger.in_(jobs.SCHEDULED_TRIGGERS)).group_by(JobRun.job)).all())
    idle = {s.name: s.last_idle_at for s in db.session.scalars(select(JobState))}
    found = []
    for name in sorted(jobs.JOBS):
        definition = jobs.JOBS[name]
        label = definition.description or name
        run = latest.get(name)
        if run is not None and run.outcome == jobs.FAILED:
            found.append(JobProblem(name, label, "最近一次运行失败", run.started_at,
                                    (run.error or "").strip().splitlines()[-1:][0]
                                    if run.error else ""))
            continue
        last = max((t for t in (scheduled.get(name), idle.get(name)) if t is not None),
                   default=None)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.timezone.utc)
        slot = jobs.due_at(definition.schedule, last, now)
        if slot is not None and now - slot > LATE:
            found.append(JobProblem(name, label, "到期未运行" if last else "从未运行", slot))
    return found


# (channel, model, what the row is about): a title or the SMS's kind — never an address, an
# openid or an SMS body (a verification code is one)
OUTBOXES = (("邮件", OutboxMail, OutboxMail.subject, "/outboxmailview/list/"),
            ("短信", OutboxSms, func.coalesce(OutboxSms.kind, "短信"), "/outboxsmsview/list/"),
            ("微信", OutboxWechat, OutboxWechat.title, "/outboxwechatview/list/"))


def outboxes() -> list:
    found = []
    for label, model, subject, link in OUTBOXES:
        failed = model.status == OutboxStatus.FAILED
        count = db.session.scalar(select(func.count()).select_from(model).where(failed)) or 0
        latest = db.session.execute(select(model.created_at, subject).where(failed)
                                    .order_by(model.id.desc()).limit(5)).all()
        found.append((label, count, link, latest))
    return found


# the file store's owner kinds as the pages name them
OWNER_LABELS = {"registration_case": "注册业务材料", "training_handout": "培训班资料",
                "inhouse_report": "年终总结报告", "inhouse_qualification": "内培资格申请材料",
                "notice": "通知附件", "consultation_reply": "咨询附件", "outbox_mail": "邮件附件",
                "import_batch": "导入文件", "hour_application": "学时申请证明材料"}


def owner_label(kind) -> str:
    return OWNER_LABELS.get(kind, "暂存及其他文件")


def storage() -> tuple[int, list]:
    rows = db.session.execute(
        select(StoredFile.owner_kind, func.count(), func.coalesce(func.sum(StoredFile.size), 0))
        .group_by(StoredFile.owner_kind).order_by(func.sum(StoredFile.size).desc())).all()
    merged = {}
    for kind, n, size in rows:
        label = owner_label(kind)
        files_, bytes_ = merged.get(label, (0, 0))
        merged[label] = (files_ + n, bytes_ + int(size))
    ordered = sorted(merged.items(), key=lambda item: -item[1][1])
    return sum(b for _f, b in merged.values()), [(k, f, b) for k, (f, b) in ordered]


def admin_home(actor, now) -> AdminHome:
    total, by_kind = storage()
    inactive = db.session.scalars(select(User).where(User.active.is_(False))
                                  .order_by(User.changed_on.desc()).limit(20)).all()
    failing = db.session.scalars(select(User).where(User.fail_login_count >= FAILED_LOGINS)
                                 .order_by(User.fail_login_count.desc()).limit(20)).all()
    chart = Chart("storage", "文件存储（按业务，KB）", "pie", [k for k, _n, _s in by_kind],
                  [("KB", [round(s / 1024, 1) for _k, _n, s in by_kind])], unit="KB")
    return AdminHome(job_problems(now), len(jobs.JOBS), outboxes(), total, by_kind, inactive,
                     failing, [chart])


