"""事务所内部培训: qualifications, in-house classes, roster entries, year-end reports

Revision ID: e8a1b2c3d4e5
Revises: eab3c4d5e6f7
Create Date: 2026-12-03 13:40:00

New tables only: upgrades a populated database without touching existing rows.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'e8a1b2c3d4e5'
down_revision = 'eab3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inhouse_qualification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('remark', sa.String(length=200), nullable=True),
        sa.Column('submitted_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'year', name='uq_inhouse_qualification'),
    )
    op.create_index('ix_inhouse_qualification_firm_id', 'inhouse_qualification', ['firm_id'])
    op.create_table(
        'inhouse_class',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('category', sa.String(length=8), nullable=False),
        sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('leader', sa.String(length=64), nullable=False),
        sa.Column('contact', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('remark', sa.String(length=200), nullable=True),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inhouse_class_firm_year', 'inhouse_class', ['firm_id', 'year'])
    op.create_table(
        'inhouse_roster_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('class_id', sa.Integer(), nullable=False),
        sa.Column('is_cpa', sa.Boolean(), nullable=False),
        sa.Column('cert_number', sa.String(length=20), nullable=True),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=True),
        sa.Column('level', sa.String(length=32), nullable=False),
        sa.Column('acquisition', sa.String(length=8), nullable=False),
        sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('person_key', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('remark', sa.String(length=200), nullable=True),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['class_id'], ['inhouse_class.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('class_id', 'person_key', name='uq_inhouse_roster_person'),
    )
    op.create_index('ix_inhouse_roster_entry_class_id', 'inhouse_roster_entry', ['class_id'])
    op.create_index('ix_inhouse_roster_entry_person_id', 'inhouse_roster_entry', ['person_id'])
    op.create_index('ix_inhouse_roster_status', 'inhouse_roster_entry', ['status'])
    op.create_table(
        'inhouse_year_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('firm_id', 'year', name='uq_inhouse_year_report'),
    )
    op.create_index('ix_inhouse_year_report_firm_id', 'inhouse_year_report', ['firm_id'])


def downgrade():
    op.drop_table('inhouse_year_report')
    op.drop_table('inhouse_roster_entry')
    op.drop_table('inhouse_class')
    op.drop_table('inhouse_qualification')
