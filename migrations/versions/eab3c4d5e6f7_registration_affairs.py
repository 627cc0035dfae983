"""注册业务: registration cases, their documents, the requirements table, appointment slots,
holidays, seats taken and appointments; the default requirements and slots are installed

Revision ID: eab3c4d5e6f7
Revises: e9b2c3d4e5f6
Create Date: 2026-12-03 14:00:00

New tables only (plus their default rows): upgrades a populated database untouched.
"""
from alembic import op
import sqlalchemy as sa
import app.models.types  # noqa: F401

revision = 'eab3c4d5e6f7'
down_revision = 'e9b2c3d4e5f6'
branch_labels = None
depends_on = None

# the defaults as they were at this revision (app/workflows/registration/requirements.py)
REQUIREMENTS = [
    ("注册申请", "application_form", "注册会计师注册申请表", True, "", True),
    ("注册申请", "exam_certificate", "全科合格证（或考核通过文件）扫描件", True, "", False),
    ("注册申请", "labor_contract", "与现所在会计师事务所签订的在有效期内的劳动合同扫描件", True, "retired=否", False),
    ("注册申请", "hire_agreement", "与现所在会计师事务所签订的在有效期内的聘用协议扫描件", True, "retired=是", False),
    ("注册申请", "retirement_proof", "退休证或退休证明扫描件", True, "retired=是", False),
    ("注册申请", "id_card", "有效身份证正反面扫描件", True, "", False),
    ("注册申请", "social_security", "在会计师事务所累计两年的社保记录", True, "retired=否", False),
    ("注册申请", "insurance_record", "注册前一月在本事务所的参保记录或劳动备案统一登记表", True, "retired=否", False),
    ("注册申请", "archive_proof", "存档证明", True, "retired=否", False),
    ("注销(撤销)", "cancel_form", "注册会计师注销注册申请表", True, "", True),
    ("注销(撤销)", "certificate", "注册会计师证书扫描件", True, "", False),
    ("注销(撤销)", "agent_ids", "委托人及受托人身份证扫描件", True, "", False),
    ("注销(撤销)", "other", "其他补充材料", False, "", False),
    ("关系转移", "transfer_form", "转所表", True, "", True),
    ("关系转移", "certificate", "注册会计师证书扫描件", True, "", False),
    ("关系转移", "annual_qr", "年检二维码", True, "", False),
    ("关系转移", "labor_contract", "与转入所签订的在有效期内的劳动合同扫描件", True, "retired=非退休", False),
    ("关系转移", "hire_agreement", "与转入所签订的在有效期内的聘用协议扫描件", True, "retired=退休", False),
    ("关系转移", "social_rights", "社保权益记录", True, "retired=非退休", False),
    ("关系转移", "archive_proof", "存档证明", True, "retired=非退休", False),
    ("信息变更", "exam_certificate", "全科合格证扫描件", True, "", False),
    ("信息变更", "certificate", "注册会计师证书扫描件", True, "", False),
    ("信息变更", "id_card", "有效身份证正反面扫描件", True, "items~身份证号 (证书信息)", False),
    ("信息变更", "name_change_proof", "公安机关出具的姓名变更证明", True, "items~姓名 (证书信息)", False),
    ("其他变更", "matters_form", "注册会计师相关事项申请表", True, "", True),
    ("其他变更", "id_card", "有效身份证正反面扫描件", True, "", False),
    ("信息补录", "supplement_request", "补录申请（包含本人基本信息及补录原因）", True, "", False),
    ("信息补录", "exam_certificate", "全科合格证扫描件", True, "", False),
    ("信息补录", "id_card", "有效身份证正反面扫描件", True, "", False),
    ("信息补录", "certificate", "注册会计师证书扫描件", False, "", False),
    ("证书补办", "reissue_request", "补办申请", True, "", True),
    ("证书补办", "loss_notice", "登报挂失声明", True, "", False),
    ("任职资格检查", "check_form", "任职资格检查申请表", True, "", True),
    ("任职资格检查", "certificate", "注册会计师证书扫描件", True, "", False),
    ("任职资格检查", "practice_proof", "近三年执业经历证明", True, "", False),
]
SLOTS = [("09:00", "10:00"), ("10:00", "11:00"), ("13:30", "14:30"), ("14:30", "15:30"),
         ("15:30", "16:30")]


def upgrade():
    requirement = op.create_table(
        'reg_doc_requirement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_type', sa.String(length=16), nullable=False),
        sa.Column('doc_key', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('condition', sa.String(length=100), nullable=False),
        sa.Column('has_template', sa.Boolean(), nullable=False),
        sa.Column('sort', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_type', 'doc_key', 'condition', name='uq_reg_doc_requirement'),
    )
    op.create_index('ix_reg_doc_requirement_case_type', 'reg_doc_requirement', ['case_type'])
    slot = op.create_table(
        'reg_slot_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('end', sa.String(length=5), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('start'),
    )
    op.create_table(
        'reg_calendar_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('open', sa.Boolean(), nullable=False),
        sa.Column('note', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day'),
    )
    op.create_table(
        'reg_slot_usage',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.CheckConstraint('taken >= 0', name='ck_reg_slot_usage_taken'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day', 'start', name='uq_reg_slot_usage'),
    )
    op.create_table(
        'reg_appointment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_type', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('end', sa.String(length=5), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('names', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('filer_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['filer_id'], ['ab_user.id'], ),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reg_appointment_day', 'reg_appointment', ['day', 'start'])
    op.create_index('ix_reg_appointment_firm_id', 'reg_appointment', ['firm_id'])
    op.create_index('ix_reg_appointment_person_id', 'reg_appointment', ['person_id'])
    op.create_table(
        'registration_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_type', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('filer_id', sa.Integer(), nullable=True),
        sa.Column('filer_name', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=True),
        sa.Column('cert_number', sa.String(length=20), nullable=True),
        sa.Column('mobile', sa.String(length=11), nullable=True),
        sa.Column('answers', sa.Text(), nullable=False),
        sa.Column('pledged_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('submitted_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('approved_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('decided_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("status in ('未提交', '已提交待北注协审核', '审核不通过', '审核通过待预约', "
                           "'预约成功', '已办理待制证', '已制证待取证', '办理完成', '已过期')",
                           name='ck_registration_case_status'),
        sa.ForeignKeyConstraint(['appointment_id'], ['reg_appointment.id'], ),
        sa.ForeignKeyConstraint(['filer_id'], ['ab_user.id'], ),
        sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], ),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_registration_case_status_type', 'registration_case',
                    ['status', 'case_type'])
    for column in ('firm_id', 'person_id', 'filer_id', 'appointment_id'):
        op.create_index(f'ix_registration_case_{column}', 'registration_case', [column])
    op.create_table(
        'reg_case_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('doc_key', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('reject_reason', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['registration_case.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reg_case_document_case_id', 'reg_case_document', ['case_id'])
    op.bulk_insert(requirement, [
        {"case_type": t, "doc_key": k, "label": label, "required": r, "condition": c,
         "has_template": tpl, "sort": i}
        for i, (t, k, label, r, c, tpl) in enumerate(REQUIREMENTS)])
    op.bulk_insert(slot, [{"start": s, "end": e, "seats": 12, "active": True} for s, e in SLOTS])


def downgrade():
    op.drop_table('reg_case_document')
    op.drop_table('registration_case')
    op.drop_table('reg_appointment')
    op.drop_table('reg_slot_usage')
    op.drop_table('reg_calendar_day')
    op.drop_table('reg_slot_template')
    op.drop_table('reg_doc_requirement')
