"""学时申请: members' 投入式 / 产出式 / 豁免 hour applications

Revision ID: ebc4d5e6f7a8
Revises: e8a1b2c3d4e5
Create Date: 2026-12-03 14:50:00

A new table only: upgrades a populated database without touching existing rows.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'ebc4d5e6f7a8'
down_revision = 'e8a1b2c3d4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hour_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('organizer', sa.String(length=200), nullable=True),
        sa.Column('route', sa.String(length=64), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column('category', sa.String(length=8), nullable=False),
        sa.Column('remark', sa.String(length=500), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('submitted_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_hour_application_person_year', 'hour_application', ['person_id', 'year'])
    op.create_index('ix_hour_application_year_status', 'hour_application', ['year', 'status'])


def downgrade():
    op.drop_index('ix_hour_application_year_status', table_name='hour_application')
    op.drop_index('ix_hour_application_person_year', table_name='hour_application')
    op.drop_table('hour_application')
