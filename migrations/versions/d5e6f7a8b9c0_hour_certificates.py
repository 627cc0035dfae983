"""学时证明: issued hour certificates (hour_certificate) with their verification codes

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-12-03 08:00:00

A new table only: upgrades a populated database without touching existing rows.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'd5e6f7a8b9c0'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hour_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('years', sa.String(length=100), nullable=False),
        sa.Column('person_name', sa.String(length=64), nullable=False),
        sa.Column('cert_number', sa.String(length=32), nullable=True),
        sa.Column('firm_name', sa.String(length=200), nullable=True),
        sa.Column('totals', sa.Text(), nullable=False),
        sa.Column('issued_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('issued_by_name', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    with op.batch_alter_table('hour_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hour_certificate_person_id'), ['person_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('hour_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hour_certificate_person_id'))
    op.drop_table('hour_certificate')
