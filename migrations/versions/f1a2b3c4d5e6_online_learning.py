"""网络学习: accounting institutes, their courses, a person's yearly choice, lesson progress,
non-practicing members' fee orders; an Institute (LMS) account's link to its institute

Revision ID: f1a2b3c4d5e6
Revises: ebc4d5e6f7a8
Create Date: 2026-12-03 17:53:30

New tables and one nullable column on account: upgrades a populated database without
touching existing rows.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'ebc4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('learning_institute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('website', sa.String(length=200), nullable=True),
    sa.Column('fee', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name')
    )
    op.create_table('learning_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institute_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['institute_id'], ['learning_institute.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('institute_id', 'year', 'code', name='uq_learning_course_code')
    )
    with op.batch_alter_table('learning_course', schema=None) as batch_op:
        batch_op.create_index('ix_learning_course_year', ['year', 'institute_id'], unique=False)

    op.create_table('learning_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('institute_id', sa.Integer(), nullable=False),
    sa.Column('chosen_at', app.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['institute_id'], ['learning_institute.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'year', name='uq_learning_choice_year')
    )
    with op.batch_alter_table('learning_choice', schema=None) as batch_op:
        batch_op.create_index('ix_learning_choice_institute', ['institute_id', 'year'], unique=False)

    op.create_table('learning_fee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('institute_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('paid_at', app.models.types.UTCDateTime(), nullable=True),
    sa.Column('receipt', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['institute_id'], ['learning_institute.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'year', name='uq_learning_fee_year')
    )
    with op.batch_alter_table('learning_fee', schema=None) as batch_op:
        batch_op.create_index('ix_learning_fee_status', ['status', 'year'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('institute_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('completed_at', app.models.types.UTCDateTime(), nullable=False),
    sa.Column('evaluated_at', app.models.types.UTCDateTime(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('credited_at', app.models.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['learning_course.id'], ),
    sa.ForeignKeyConstraint(['institute_id'], ['learning_institute.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'course_id', name='uq_lesson_progress')
    )
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_progress_person_year', ['person_id', 'year'], unique=False)
        batch_op.create_index('ix_lesson_progress_status', ['status', 'evaluated_at'], unique=False)

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learning_institute_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_account_learning_institute_id'), ['learning_institute_id'], unique=False)
        batch_op.create_foreign_key('fk_account_learning_institute_id', 'learning_institute', ['learning_institute_id'], ['id'])



def downgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint('fk_account_learning_institute_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_account_learning_institute_id'))
        batch_op.drop_column('learning_institute_id')

    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_progress_status')
        batch_op.drop_index('ix_lesson_progress_person_year')

    op.drop_table('lesson_progress')
    with op.batch_alter_table('learning_fee', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_fee_status')

    op.drop_table('learning_fee')
    with op.batch_alter_table('learning_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_choice_institute')

    op.drop_table('learning_choice')
    with op.batch_alter_table('learning_course', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_course_year')

    op.drop_table('learning_course')
    op.drop_table('learning_institute')
