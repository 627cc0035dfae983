"""学时记录的获得时间 keeps the time: hour_record.obtained_at from a date to a UTC timestamp

Revision ID: c23d4e5f6a7b
Revises: b2c2a1d0e9f8
Create Date: 2026-12-07 09:20:00

Seed 000 §4.2 shows 获得时间 as 2025-08-05 12:22:52. Existing records knew only the day: each
becomes 00:00 Beijing time of that day (16:00 UTC the day before), so every page shows the same
day as before. The column is rebuilt through a new one (SQLite's batch copy would CAST a text
date to a number). Downgrade keeps the Beijing day. Every record's 获得方式 becomes the manual's
「正常」 (the source has a column of its own): a downgrade cannot know the old labels and leaves
「正常」.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c23d4e5f6a7b'
down_revision = 'b2c2a1d0e9f8'
branch_labels = None
depends_on = None


def _swap(new_type, fill_sqlite: str, fill_postgres: str):
    op.add_column('hour_record', sa.Column('obtained_new', new_type, nullable=True))
    fill = fill_postgres if op.get_bind().dialect.name == 'postgresql' else fill_sqlite
    op.execute(f"UPDATE hour_record SET obtained_new = {fill}")
    with op.batch_alter_table('hour_record', schema=None) as batch_op:
        batch_op.drop_column('obtained_at')
    with op.batch_alter_table('hour_record', schema=None) as batch_op:
        batch_op.alter_column('obtained_new', new_column_name='obtained_at',
                              existing_type=new_type, nullable=False)


def upgrade():
    _swap(sa.DateTime(),  # UTCDateTime's storage: naive UTC
          "datetime(obtained_at, '-8 hours') || '.000000'",
          "obtained_at::timestamp - interval '8 hours'")
    op.execute("UPDATE hour_record SET acquisition = '正常' WHERE acquisition <> '正常'")


def downgrade():
    _swap(sa.Date(),
          "date(datetime(obtained_at, '+8 hours'))",
          "(obtained_at + interval '8 hours')::date")
