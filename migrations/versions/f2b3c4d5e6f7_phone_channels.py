"""Issue 27, members on their phones: WeChat binding (account.wechat_openid, one-time bind
tickets, the shared access token), the WeChat outbox, SMS delivery state on outbox_sms
(attempts, claim, error, provider serial number, template kind and values) and 设置 ›
通知方式 (notify_preference)

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 09:30:00

New tables, nullable columns, and outbox_sms.attempts with a server default; existing SMS
rows get next_attempt_at = created_at, so a provider configured later sends what waits.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f2b3c4d5e6f7'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('wechat_openid', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('wechat_bound_at', app.models.types.UTCDateTime(), nullable=True))
        batch.create_unique_constraint('uq_account_wechat_openid', ['wechat_openid'])
    with op.batch_alter_table('outbox_sms') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('params', sa.Text(), nullable=True))
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('next_attempt_at', app.models.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('claimed_by', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('claimed_at', app.models.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('provider_ref', sa.String(length=64), nullable=True))
        batch.create_index('ix_outbox_sms_due', ['status', 'next_attempt_at'], unique=False)
    op.execute("UPDATE outbox_sms SET next_attempt_at = created_at")
    op.create_table('outbox_wechat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', app.models.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('msgid', sa.String(length=32), nullable=True),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', app.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_outbox_wechat_due', 'outbox_wechat', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_wechat_user_id'), 'outbox_wechat', ['user_id'], unique=False)
    op.create_table('wechat_token',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.String(length=600), nullable=False),
    sa.Column('expires_at', app.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('app_id')
    )
    op.create_table('wechat_bind_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('qr_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', app.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_wechat_bind_ticket_user_id'), 'wechat_bind_ticket', ['user_id'], unique=False)
    op.create_table('notify_preference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channels', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_notify_preference', 'notify_preference', ['user_id', 'kind'], unique=True)


def downgrade():
    op.drop_index('uq_notify_preference', table_name='notify_preference')
    op.drop_table('notify_preference')
    op.drop_index(op.f('ix_wechat_bind_ticket_user_id'), table_name='wechat_bind_ticket')
    op.drop_table('wechat_bind_ticket')
    op.drop_table('wechat_token')
    op.drop_index(op.f('ix_outbox_wechat_user_id'), table_name='outbox_wechat')
    op.drop_index('ix_outbox_wechat_due', table_name='outbox_wechat')
    op.drop_table('outbox_wechat')
    with op.batch_alter_table('outbox_sms') as batch:
        batch.drop_index('ix_outbox_sms_due')
        for column in ('provider_ref', 'last_error', 'claimed_at', 'claimed_by',
                       'next_attempt_at', 'attempts', 'params', 'kind'):
            batch.drop_column(column)
    with op.batch_alter_table('account') as batch:
        batch.drop_constraint('uq_account_wechat_openid', type_='unique')
        batch.drop_column('wechat_bound_at')
        batch.drop_column('wechat_openid')
