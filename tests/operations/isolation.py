"""The institute's own records: the audit log, job runs, the mail and SMS outboxes."""
import datetime as dt

from app.models import OutboxStatus
from app.extensions import db
from app.models import AuditLog, JobRun, OutboxMail
from app.roles import FIRM_ADMIN, MEMBER
from tests.helpers import B_CLERK

MOMENT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def rows(world, app):
    with app.app_context():
        run = db.session.query(JobRun).filter_by(job="probe_secret_job").first()
        if run is None:
            db.session.add_all([
                JobRun(job="probe_secret_job", trigger="cli", as_of=MOMENT, started_at=MOMENT,
                       outcome="成功", counts="{}"),
                OutboxMail(to_addr="secret@b.example", subject="乙所机密邮件", body="x",
                           status=OutboxStatus.FAILED, attempts=5, next_attempt_at=MOMENT,
                           created_at=MOMENT)])
            db.session.commit()
        found = {
            JobRun: [(r.id, r.job) for r in db.session.query(JobRun).filter_by(
                job="probe_secret_job")],
            OutboxMail: [(m.id, m.subject) for m in db.session.query(OutboxMail).filter_by(
                subject="乙所机密邮件")],
            AuditLog: [(r.id, r.username) for r in db.session.query(AuditLog).filter_by(
                username=B_CLERK).limit(3)],
        }
    return {model: {role: {"foreign": pairs, "own": []} for role in (FIRM_ADMIN, MEMBER)}
            for model, pairs in found.items()}
