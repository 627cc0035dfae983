"""Indexes for the columns the daily lists sort and filter on (issue 28)

Revision ID: e5f6a7b8c9d0
Revises: d34e5f6a7b8c
Create Date: 2026-12-07 16:30:00

人员信息 sorted by 证书编号; 学员学时明细 by (year, obtained_at desc, id desc) — an ascending
index read backwards serves the descending order on SQLite and PostgreSQL alike; 办理记录's
waiting cases; 预约记录 by 状态; a class's enrollments by 报名状态; 内部培训 classes of a firm and
the review queues by status; a class's 学员名单; 学时申请确认's queue; 消息中心's tabs; 审计日志
by 操作人. The roster entries' index on status alone becomes (status, id). Only indexes: a
populated database keeps every row.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'd34e5f6a7b8c'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_person_cert_number_id", "person", ["cert_number", "id"]),
    ("ix_hour_record_year_obtained", "hour_record", ["year", "obtained_at", "id"]),
    ("ix_registration_case_status_submitted", "registration_case", ["status", "submitted_at"]),
    ("ix_reg_appointment_status_day", "reg_appointment", ["status", "day", "start"]),
    ("ix_training_enrollment_class_status", "training_enrollment", ["class_id", "status", "id"]),
    ("ix_inhouse_qualification_status_id", "inhouse_qualification", ["status", "id"]),
    ("ix_inhouse_class_firm_start", "inhouse_class", ["firm_id", "start_date", "id"]),
    ("ix_inhouse_class_status_id", "inhouse_class", ["status", "id"]),
    ("ix_inhouse_roster_status_id", "inhouse_roster_entry", ["status", "id"]),
    ("ix_inhouse_roster_class_created", "inhouse_roster_entry", ["class_id", "created_at", "id"]),
    ("ix_hour_application_status_id", "hour_application", ["status", "id"]),
    ("ix_message_inbox_created", "message", ["user_id", "kind", "created_at", "id"]),
    ("ix_audit_log_username_at", "audit_log", ["username", "at"]),
]


def upgrade():
    op.drop_index("ix_inhouse_roster_status", table_name="inhouse_roster_entry")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.create_index("ix_inhouse_roster_status", "inhouse_roster_entry", ["status"])
