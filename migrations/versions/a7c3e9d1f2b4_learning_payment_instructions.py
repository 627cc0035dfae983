"""网络学习: each 会计学院's 交费说明 (收款单位, 开户银行, 收款账号, 其他说明) and each fee
order's 缴费编号, so a 非执业会员 with a 待缴费 fee sees how to pay and what to write

Revision ID: a7c3e9d1f2b4
Revises: f2b3c4d5e6f7
Create Date: 2026-12-07 09:30:00

Nullable columns; existing fee orders get their 缴费编号 (institute code + year + order
number, as new orders do: app/workflows/learning/rules.fee_reference).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f2b4'
down_revision = 'f2b3c4d5e6f7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('learning_institute', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_payee', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('pay_bank', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('pay_account', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('pay_note', sa.String(length=500), nullable=True))
    with op.batch_alter_table('learning_fee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    fees = bind.execute(sa.text(
        "SELECT f.id, f.year, i.code FROM learning_fee f "
        "JOIN learning_institute i ON i.id = f.institute_id")).all()
    for fee_id, year, code in fees:
        bind.execute(sa.text("UPDATE learning_fee SET reference = :ref WHERE id = :id"),
                     {"ref": f"{code}{year}{fee_id:06d}", "id": fee_id})
    with op.batch_alter_table('learning_fee', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_learning_fee_reference', ['reference'])


def downgrade():
    with op.batch_alter_table('learning_fee', schema=None) as batch_op:
        batch_op.drop_constraint('uq_learning_fee_reference', type_='unique')
        batch_op.drop_column('reference')
    with op.batch_alter_table('learning_institute', schema=None) as batch_op:
        batch_op.drop_column('pay_note')
        batch_op.drop_column('pay_account')
        batch_op.drop_column('pay_bank')
        batch_op.drop_column('pay_payee')
