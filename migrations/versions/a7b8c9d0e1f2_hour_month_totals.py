"""per-person monthly hour sums (hour_month_total), kept by the ledger; indexes of the
training review queues and of a firm's hour records by 获得时间

Revision ID: a7b8c9d0e1f2
Revises: f7e8d9c0b1a2
Create Date: 2026-12-07 19:40:00

The staff home page's monthly chart grouped every record of the year (780,000 at Beijing
size) by a CASE over the month boundaries on every view. The ledger now keeps each
person's year by month (tenths of an hour, Beijing months; before February is January,
after December 1st December) beside the yearly sums; this fills them from the records of
a populated database, one INSERT … SELECT per year present.

The staff home page counts every review queue and reads its oldest item: the enrollments
waiting (status, created_at) and those of ended classes waiting for a result (status,
result, class_id) are read from an index instead of the whole enrollment table.

学员学时明细's deep pages of a firm pick the ids of its people's records of the year by
获得时间 from (person_id, year, obtained_at, id) alone; it replaces (person_id, year), which
it serves as well.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7b8c9d0e1f2'
down_revision = 'f7e8d9c0b1a2'
branch_labels = None
depends_on = None

MONTHS = [f"m{m:02d}" for m in range(1, 13)]
LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # the institute's time (app/clock.py)

records = sa.table("hour_record", sa.column("person_id", sa.Integer),
                   sa.column("year", sa.Integer), sa.column("hours", sa.Numeric(6, 1)),
                   sa.column("obtained_at", sa.DateTime))


def _month(year: int):
    """The Beijing month of obtained_at (stored naive UTC) within `year`, clamped."""
    starts = [dt.datetime(year, m, 1, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
              .replace(tzinfo=None) for m in range(2, 13)]
    return sa.case(*[(records.c.obtained_at < sa.literal(start, sa.DateTime), m)
                     for m, start in enumerate(starts, start=1)], else_=12)


def upgrade():
    op.create_table(
        'hour_month_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False, server_default='0') for m in MONTHS],
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'year', name='uq_hour_month_total'),
    )
    op.create_index('ix_hour_month_total_year', 'hour_month_total', ['year'])
    bind = op.get_bind()
    table = sa.table("hour_month_total", *[sa.column(c) for c in ["person_id", "year", *MONTHS]])
    tenths = sa.cast(sa.func.round(records.c.hours * 10), sa.Integer)
    for (year,) in bind.execute(sa.select(records.c.year).distinct()).all():
        month = _month(year)
        source = sa.select(records.c.person_id, records.c.year, *[
            sa.func.coalesce(sa.func.sum(sa.case((month == m, tenths), else_=0)), 0)
            for m in range(1, 13)]).where(records.c.year == year).group_by(
            records.c.person_id, records.c.year)
        bind.execute(table.insert().from_select(["person_id", "year", *MONTHS], source))
    op.create_index('ix_hour_record_person_year_obtained', 'hour_record',
                    ['person_id', 'year', 'obtained_at', 'id'])
    op.drop_index('ix_hour_record_person_year', table_name='hour_record')
    op.create_index('ix_training_enrollment_status_created', 'training_enrollment',
                    ['status', 'created_at', 'id'])
    op.create_index('ix_training_enrollment_status_result', 'training_enrollment',
                    ['status', 'result', 'class_id'])


def downgrade():
    op.drop_index('ix_training_enrollment_status_result', table_name='training_enrollment')
    op.drop_index('ix_training_enrollment_status_created', table_name='training_enrollment')
    op.create_index('ix_hour_record_person_year', 'hour_record', ['person_id', 'year'])
    op.drop_index('ix_hour_record_person_year_obtained', table_name='hour_record')
    op.drop_index('ix_hour_month_total_year', table_name='hour_month_total')
    op.drop_table('hour_month_total')
