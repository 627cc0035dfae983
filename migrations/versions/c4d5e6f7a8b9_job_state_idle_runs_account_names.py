"""job_state (a job's last idle run, instead of one run-log row per idle run); empty run-log
rows removed; accounts' 姓名 filled so 用户列表 → 修改 saves them

Revision ID: c4d5e6f7a8b9
Revises: c3d4e5f6a7b8
Create Date: 2026-12-03 08:55:00

Data fixes on a populated database:
- every scheduled (or caught-up) successful run whose counts are all zero is folded into
  job_state (its latest as-of time and how many there were) and deleted from job_run;
- ab_user rows with no 姓名 (first_name) get their login name, and a NULL last_name becomes ''
  (the edit form asks for one 姓名; accounts we create keep last_name empty).
"""
import json

from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'c4d5e6f7a8b9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def _idle(counts):
    try:
        values = json.loads(counts or "{}")
    except ValueError:
        return False
    return isinstance(values, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0 for v in values.values())


def upgrade():
    state = op.create_table(
        'job_state',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('last_idle_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('idle_runs', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    bind = op.get_bind()
    run = sa.table('job_run', sa.column('id', sa.Integer), sa.column('job', sa.String),
                   sa.column('trigger', sa.String), sa.column('as_of', sa.String),
                   sa.column('outcome', sa.String), sa.column('counts', sa.Text))
    idle = {}
    ids = []
    for row in bind.execute(sa.select(run.c.id, run.c.job, run.c.as_of, run.c.counts).where(
            run.c.trigger.in_(("schedule", "catch-up")), run.c.outcome == "成功")):
        if _idle(row.counts):
            ids.append(row.id)
            last, count = idle.get(row.job, (None, 0))
            idle[row.job] = (max(last, row.as_of) if last is not None else row.as_of, count + 1)
    if idle:
        op.bulk_insert(state, [{"name": job, "last_idle_at": None, "idle_runs": count}
                               for job, (_, count) in idle.items()])
        for job, (last, _) in idle.items():  # the stored value as it is (no re-parsing)
            bind.execute(sa.text("UPDATE job_state SET last_idle_at = "
                                 "(SELECT as_of FROM job_run WHERE job = :job AND as_of = :last "
                                 "LIMIT 1) WHERE name = :job"), {"job": job, "last": last})
    for start in range(0, len(ids), 500):
        bind.execute(run.delete().where(run.c.id.in_(ids[start:start + 500])))
    bind.execute(sa.text("UPDATE ab_user SET last_name = '' WHERE last_name IS NULL"))
    bind.execute(sa.text("UPDATE ab_user SET first_name = username "
                         "WHERE first_name IS NULL OR first_name = ''"))


def downgrade():
    op.drop_table('job_state')
