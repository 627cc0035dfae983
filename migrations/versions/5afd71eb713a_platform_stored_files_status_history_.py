"""platform: stored files, status history, versions, import batch lifecycle

Revision ID: 5afd71eb713a
Revises: 911ae1696fa1
Create Date: 2026-12-02 12:34:29.551260

"""
from alembic import op
import sqlalchemy as sa
from flask_appbuilder.models.mixins import FileColumn, ImageColumn  # noqa: F401
import app.models.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = '5afd71eb713a'
down_revision = '911ae1696fa1'
branch_labels = None
depends_on = None


def upgrade():
    # message attachments become the one file store's table: rename, keep every row
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_owner')
    op.rename_table('attachment', 'stored_file')
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doc_type', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch_op.alter_column('owner_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_stored_file_owner', ['owner_kind', 'owner_id'], unique=False)
    op.execute("UPDATE stored_file SET doc_type = 'message_attachment'")

    op.create_table('status_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=48), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=128), nullable=False),
    sa.Column('remark', sa.Text(), nullable=True),
    sa.Column('at', app.models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.create_index('ix_status_history_entity', ['entity', 'entity_id', 'id'], unique=False)

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('worker', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', app.models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('person_transfer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('person_transfer', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('attempts')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('worker')
        batch_op.drop_column('file_id')
        batch_op.drop_column('params')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('status_history', schema=None) as batch_op:
        batch_op.drop_index('ix_status_history_entity')
    op.drop_table('status_history')

    # files not attached to a message have no place in the old table
    op.execute("DELETE FROM stored_file WHERE owner_id IS NULL")
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_file_owner')
        batch_op.alter_column('owner_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('kind')
        batch_op.drop_column('doc_type')
    op.rename_table('stored_file', 'attachment')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_owner', ['owner_kind', 'owner_id'], unique=False)
