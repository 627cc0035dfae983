"""hour ledger (hour_record), yearly CPE requirements, confirmed exemptions

Revision ID: b7c1e2d3a4f5
Revises: 5afd71eb713a
Create Date: 2026-12-02 20:40:00

Requirements are not seeded: a year without a cpe_requirement row uses the DESIGN §3a
defaults computed in app/workflows/hours/rules.py (DEFAULTS), so a new year needs no data.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'b7c1e2d3a4f5'
down_revision = '5afd71eb713a'
branch_labels = None
depends_on = None


def _hours(name, default=None):
    return sa.Column(name, sa.Numeric(6, 1), nullable=False,
                     server_default=None if default is None else str(default))


def upgrade():
    op.create_table(
        'hour_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=8), nullable=False),
        sa.Column('delivery', sa.String(length=8), nullable=False),
        _hours('hours'),
        sa.Column('obtained_at', sa.Date(), nullable=False),
        sa.Column('acquisition', sa.String(length=32), nullable=False),
        sa.Column('source_kind', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_kind', 'source_id', name='uq_hour_record_source'),
    )
    op.create_index('ix_hour_record_person_year', 'hour_record', ['person_id', 'year'])
    op.create_index('ix_hour_record_year_person_cover', 'hour_record',
                    ['year', 'person_id', 'delivery', 'category', 'hours'])
    op.create_table(
        'cpe_requirement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('person_type', sa.String(length=8), nullable=False),
        _hours('min_total', 40), _hours('min_face_to_face', 16), _hours('min_input', 0),
        _hours('min_ethics', 4), _hours('min_sizheng', 0), _hours('cap_online', 24),
        _hours('cap_output', 24),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('year', 'person_type', name='uq_cpe_requirement'),
    )
    op.create_table(
        'cpe_exemption',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('condition', sa.String(length=64), nullable=False),
        sa.Column('source_kind', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_kind', 'source_id', name='uq_cpe_exemption_source'),
    )
    op.create_index('ix_cpe_exemption_year_person', 'cpe_exemption', ['year', 'person_id'])


def downgrade():
    op.drop_index('ix_cpe_exemption_year_person', table_name='cpe_exemption')
    op.drop_table('cpe_exemption')
    op.drop_table('cpe_requirement')
    op.drop_index('ix_hour_record_year_person_cover', table_name='hour_record')
    op.drop_index('ix_hour_record_person_year', table_name='hour_record')
    op.drop_table('hour_record')
