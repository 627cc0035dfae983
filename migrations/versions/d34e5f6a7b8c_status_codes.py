"""Statuses stored as stable codes: every status column and the 流程跟踪's from/to states hold
a short English code ("submitted") instead of the Chinese words ("已提交待北注协审核")

Revision ID: d34e5f6a7b8c
Revises: c23d4e5f6a7b
Create Date: 2026-12-07 13:00:00

Issue 25 item 8 (province-neutral): the words are labels the machine declares
(app/models/*: LABELS), shown on every page, export, message and REST answer as before. Each
status column is widened to 16 characters (the codes are longer than the words were), its
values converted, and the two CHECK constraints (registration_case, firm, person) rewritten
(SQLite through batch mode). status_history's from/to states are converted per entity (the
machine's name). A downgrade converts back; a value it does not know is left as it is.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd34e5f6a7b8c'
down_revision = 'c23d4e5f6a7b'
branch_labels = None
depends_on = None

CASE = {'draft': '未提交', 'submitted': '已提交待北注协审核', 'rejected': '审核不通过',
        'approved': '审核通过待预约', 'booked': '预约成功', 'processed': '已办理待制证',
        'cert_ready': '已制证待取证', 'done': '办理完成', 'expired': '已过期'}
APPOINTMENT = {'booked': '预约成功', 'cancelled': '已取消', 'done': '办理完成', 'no_show': '未到场'}
CONSULTATION = {'to_institute': '待协会回复', 'to_user': '待用户回复', 'closed': '已办结'}
REVIEW = {'pending': '未审核', 'approved': '审核通过', 'rejected': '审核未通过'}
ENTRY = {'enrolled': '已报名', 'approved': '审核通过', 'rejected': '审核未通过'}
APPLICATION = {'pending': '未确认', 'confirmed': '已确认', 'refused': '不予确认'}
ENROLLMENT = {'pending': '未审核', 'approved': '审核通过', 'rejected': '审核未通过'}
WAITLIST = {'waiting': '候补中', 'offered': '待确认', 'accepted': '已报名', 'declined': '已放弃',
            'expired': '已过期'}
FIRM = {'active': '正常', 'closed': '注销'}
PERSON = {'active': '正常', 'revoked': '撤销'}
TRANSFER = {'pending': '待确认', 'confirmed': '已确认', 'approved': '协会已批准', 'refused': '已拒绝',
            'declined': '协会未批准', 'expired': '已过期'}
PROGRESS = {'to_evaluate': '待评价', 'evaluated': '已评价', 'credited': '已计学时'}
FEE = {'unpaid': '待缴费', 'paid': '已缴费'}
OUTBOX = {'pending': '待发送', 'sending': '发送中', 'sent': '已发送', 'failed': '发送失败'}
IMPORT = {'parsing': '解析中', 'previewed': '待确认', 'failed': '文件有误', 'committed': '已导入',
          'expired': '已失效'}

# table: (its codes and labels, the status column's width before)
TABLES = {
    'registration_case': (CASE, 16), 'reg_appointment': (APPOINTMENT, 8),
    'consultation': (CONSULTATION, 8), 'inhouse_qualification': (REVIEW, 8),
    'inhouse_class': (REVIEW, 8), 'inhouse_roster_entry': (ENTRY, 8),
    'hour_application': (APPLICATION, 8), 'training_enrollment': (ENROLLMENT, 8),
    'firm': (FIRM, 8), 'person': (PERSON, 4), 'person_transfer': (TRANSFER, 8),
    'lesson_progress': (PROGRESS, 8), 'learning_fee': (FEE, 8), 'outbox_mail': (OUTBOX, 8),
    'outbox_sms': (OUTBOX, 8), 'outbox_wechat': (OUTBOX, 8), 'import_batch': (IMPORT, 8),
}
# status_history.entity (the machine's name): its codes and labels
MACHINES = {
    'registration_case': CASE, 'appointment': APPOINTMENT, 'consultation': CONSULTATION,
    'inhouse_qualification': REVIEW, 'inhouse_class': REVIEW, 'inhouse_roster_entry': ENTRY,
    'hour_application': APPLICATION, 'training_enrollment': ENROLLMENT,
    'training_waitlist': WAITLIST, 'person_transfer': TRANSFER, 'lesson_progress': PROGRESS,
    'learning_fee': FEE, 'import_batch': IMPORT,
}
# table: (constraint, its codes) — the CHECK constraints that name the statuses
CHECKS = {'registration_case': ('ck_registration_case_status', CASE),
          'firm': ('ck_firm_status', FIRM), 'person': ('ck_person_status', PERSON)}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _case(column: str, pairs: dict) -> str:
    whens = " ".join(f"WHEN {_quote(old)} THEN {_quote(new)}" for old, new in pairs.items())
    return f"CASE {column} {whens} ELSE {column} END"


def _check(values) -> str:
    return "status in (" + ", ".join(_quote(v) for v in values) + ")"


def _convert(to_codes: bool) -> None:
    for table, (labels, width) in TABLES.items():
        pairs = {label: code for code, label in labels.items()} if to_codes else labels
        old_type, new_type = (sa.String(width), sa.String(16)) if to_codes else \
            (sa.String(16), sa.String(width))
        check = CHECKS.get(table)
        # codes need the wider column before they are written; the words fit the narrower
        # one only once they have replaced the codes
        with op.batch_alter_table(table, schema=None) as batch_op:
            if check:
                batch_op.drop_constraint(check[0], type_='check')
            if width != 16 and to_codes:
                batch_op.alter_column('status', existing_type=old_type, type_=new_type,
                                      existing_nullable=False)
        op.execute(f"UPDATE {table} SET status = {_case('status', pairs)}")
        if check or (width != 16 and not to_codes):
            values = check[1] if to_codes else (check[1].values() if check else ())
            with op.batch_alter_table(table, schema=None) as batch_op:
                if width != 16 and not to_codes:
                    batch_op.alter_column('status', existing_type=old_type, type_=new_type,
                                          existing_nullable=False)
                if check:
                    batch_op.create_check_constraint(check[0], _check(values))
    for entity, labels in MACHINES.items():
        pairs = {label: code for code, label in labels.items()} if to_codes else labels
        op.execute(f"UPDATE status_history SET from_state = {_case('from_state', pairs)}, "
                   f"to_state = {_case('to_state', pairs)} WHERE entity = {_quote(entity)}")


def upgrade():
    _convert(to_codes=True)


def downgrade():
    _convert(to_codes=False)
