"""Issue 22: a per-account session generation (ends every session cookie and JWT issued
before a sign-out, a password change, a reset, a revocation or a role change); an 其他
enrollment is unique per class by (firm, mobile), not by mobile across firms; the
addresses each account signed in from (the login limit lets its owner through from them)

Revision ID: b2c2a1d0e9f8
Revises: a7d24e1f0c3b
Create Date: 2026-12-07 09:20:00

A NOT NULL column with a server default: existing accounts start at 0, which is what the
sessions and tokens issued before the upgrade carry (none), so nobody is signed out by it.
The enrollment keys `phone:<mobile>` of existing rows become `phone:<firm id>:<mobile>`
(the unique constraint on (class_id, dedupe_key) stays; rows unique before stay unique).
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b2c2a1d0e9f8'
down_revision = 'a7d24e1f0c3b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('login_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('first_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_at', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'address', name='uq_login_address')
    )
    op.execute("UPDATE training_enrollment SET dedupe_key = 'phone:' || "
               "COALESCE(CAST(firm_id AS VARCHAR(12)), '-') || ':' || phone "
               "WHERE dedupe_key LIKE 'phone:%'")


def downgrade():
    # back to one key per mobile across firms: where two firms share one, only the first
    # enrolled keeps the old key (the rest keep the per-firm key, which stays unique)
    op.execute("UPDATE training_enrollment SET dedupe_key = 'phone:' || phone "
               "WHERE dedupe_key LIKE 'phone:%' AND id IN (SELECT MIN(id) FROM "
               "training_enrollment WHERE dedupe_key LIKE 'phone:%' "
               "GROUP BY class_id, phone)")
    op.drop_table('login_address')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
