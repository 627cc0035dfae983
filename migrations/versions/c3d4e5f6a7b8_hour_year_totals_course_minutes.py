"""per-person yearly hour sums (hour_year_total), kept by the ledger; 课程时长 on records

Revision ID: c3d4e5f6a7b8
Revises: b7c1e2d3a4f5
Create Date: 2026-12-03 08:20:00

The yearly queries (学员年度学时 for a firm, 事务所培训概况 for the institute) read one row
per person and year instead of summing every hour record. The sums (in tenths of an
hour, exact integers) of a populated database are computed here from its records, exactly as the ledger keeps them after.
"""
from alembic import op
import sqlalchemy as sa

revision = 'c3d4e5f6a7b8'
down_revision = 'b7c1e2d3a4f5'
branch_labels = None
depends_on = None

ONLINE, OUTPUT = '网络课程', '产出式'
FACE_TO_FACE = ('面授', '执业机构内培', '授课', '面授(视同)')


def _sum(name):
    """A sum in tenths of an hour (46.5 → 465)."""
    return sa.Column(name, sa.Integer(), nullable=False, server_default='0')


def upgrade():
    op.add_column('hour_record', sa.Column('minutes', sa.Integer(), nullable=True))
    op.create_table(
        'hour_year_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('records', sa.Integer(), nullable=False, server_default='0'),
        _sum('total'), _sum('online'), _sum('output'), _sum('face_to_face'), _sum('ethics'),
        _sum('sizheng'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'year', name='uq_hour_year_total'),
    )
    op.create_index('ix_hour_year_total_year_person', 'hour_year_total', ['year', 'person_id'])
    f2f = ", ".join(f"'{d}'" for d in FACE_TO_FACE)
    op.execute(f"""
        INSERT INTO hour_year_total
            (person_id, year, records, total, online, output, face_to_face, ethics, sizheng)
        SELECT person_id, year, count(*), sum(tenths),
               sum(CASE WHEN delivery = '{ONLINE}' THEN tenths ELSE 0 END),
               sum(CASE WHEN delivery = '{OUTPUT}' THEN tenths ELSE 0 END),
               sum(CASE WHEN delivery IN ({f2f}) THEN tenths ELSE 0 END),
               sum(CASE WHEN category = '职业道德' THEN tenths ELSE 0 END),
               sum(CASE WHEN category = '思政' THEN tenths ELSE 0 END)
        FROM (SELECT person_id, year, delivery, category,
                     CAST(round(hours * 10) AS INTEGER) AS tenths FROM hour_record) r
        GROUP BY person_id, year
    """)


def downgrade():
    op.drop_index('ix_hour_year_total_year_person', table_name='hour_year_total')
    op.drop_table('hour_year_total')
    op.drop_column('hour_record', 'minutes')
