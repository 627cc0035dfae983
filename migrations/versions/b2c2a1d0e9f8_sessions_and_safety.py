"""Issue 22: a per-account session generation (ends every session cookie and JWT issued
before a sign-out, a password change, a reset, a revocation or a role change)

Revision ID: b2c2a1d0e9f8
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 09:20:00

A NOT NULL column with a server default: existing accounts start at 0, which is what the
sessions and tokens issued before the upgrade carry (none), so nobody is signed out by it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2c2a1d0e9f8'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
