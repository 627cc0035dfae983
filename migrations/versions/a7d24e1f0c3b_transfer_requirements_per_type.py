"""所需材料 of 关系转移 per 关系转移类型 (seed 004 §3.3), and 信息变更's ID card for 将军官证等证件变更为身份证

Revision ID: a7d24e1f0c3b
Revises: a7c3e9d1f2b4
Create Date: 2026-12-07 09:30:00

Data only. The four 关系转移 rows that asked every type for a contract with the new firm,
社保 and 存档 (conditioned on 人员类型 alone) are replaced by rows per type: 京内转所 and
外省转入本市事务所 keep them, 转入协会代管 and 外省转入本市协会代管 ask for the proof of leaving
the old firm instead, 本市转外省 for neither. Rows are matched by (type, key, condition), so a
label staff reworded is replaced too, and rows staff added are left alone; rows already
present are not added twice.
"""
from alembic import op
import sqlalchemy as sa

revision = 'a7d24e1f0c3b'
down_revision = 'a7c3e9d1f2b4'
branch_labels = None
depends_on = None

TRANSFER = "关系转移"
CHANGE = "信息变更"
IN_CITY, FROM_PROVINCE = "京内转所", "外省转入本市事务所"
MANAGED, FROM_PROVINCE_MANAGED = "转入协会代管", "外省转入本市协会代管"
CONTRACT = "与转入所签订的在有效期内的劳动合同扫描件"
AGREEMENT = "与转入所签订的在有效期内的聘用协议扫描件"
LEAVING = "与转出所解除劳动合同（聘用协议）的证明"

# (case_type, doc_key, label, required, condition, has_template) as at the previous revision
OLD = [
    (TRANSFER, "labor_contract", CONTRACT, True, "retired=非退休", False),
    (TRANSFER, "hire_agreement", AGREEMENT, True, "retired=退休", False),
    (TRANSFER, "social_rights", "社保权益记录", True, "retired=非退休", False),
    (TRANSFER, "archive_proof", "存档证明", True, "retired=非退休", False),
]
NEW = [(TRANSFER, key, label, True, f"transfer_type={kind};retired={retired}", False)
       for key, label, retired in (("labor_contract", CONTRACT, "非退休"),
                                   ("hire_agreement", AGREEMENT, "退休"),
                                   ("social_rights", "社保权益记录", "非退休"),
                                   ("archive_proof", "存档证明", "非退休"))
       for kind in (IN_CITY, FROM_PROVINCE)]
NEW += [(TRANSFER, "leaving_proof", LEAVING, True, f"transfer_type={kind}", False)
        for kind in (MANAGED, FROM_PROVINCE_MANAGED)]
NEW_CHANGE = [(CHANGE, "id_card", "有效身份证正反面扫描件", True,
               "items~将军官证等证件变更为身份证 (证书信息)", False)]

table = sa.table("reg_doc_requirement", sa.column("id", sa.Integer),
                 sa.column("case_type", sa.String),
                 sa.column("doc_key", sa.String), sa.column("label", sa.String),
                 sa.column("required", sa.Boolean), sa.column("condition", sa.String),
                 sa.column("has_template", sa.Boolean), sa.column("sort", sa.Integer))


def _sort_after(bind, case_type, doc_key) -> int:
    """The sort of the row the new ones go after (the type's last when it is gone)."""
    found = bind.execute(sa.select(sa.func.max(table.c.sort)).where(
        table.c.case_type == case_type, table.c.doc_key == doc_key)).scalar()
    if found is None:
        found = bind.execute(sa.select(sa.func.max(table.c.sort)).where(
            table.c.case_type == case_type)).scalar()
    return found or 0


def _delete(bind, rows):
    for case_type, key, _label, _req, condition, _tpl in rows:
        bind.execute(table.delete().where(table.c.case_type == case_type,
                                          table.c.doc_key == key, table.c.condition == condition))


def _insert(bind, rows, sort):
    for case_type, key, label, required, condition, template in rows:
        exists = bind.execute(sa.select(table.c.id).where(
            table.c.case_type == case_type, table.c.doc_key == key,
            table.c.condition == condition)).first()
        if exists is None:
            bind.execute(table.insert().values(case_type=case_type, doc_key=key, label=label,
                                               required=required, condition=condition,
                                               has_template=template, sort=sort))


def _installed(bind) -> bool:
    """An empty table (a fresh database the app fills on first use) is left empty."""
    return bind.execute(sa.select(table.c.id).limit(1)).first() is not None


def upgrade():
    bind = op.get_bind()
    if not _installed(bind):
        return
    sort = _sort_after(bind, TRANSFER, "annual_qr")
    _delete(bind, OLD)
    _insert(bind, NEW, sort)
    _insert(bind, NEW_CHANGE, _sort_after(bind, CHANGE, "id_card"))


def downgrade():
    bind = op.get_bind()
    if not _installed(bind):
        return
    sort = _sort_after(bind, TRANSFER, "annual_qr")
    _delete(bind, NEW + NEW_CHANGE)
    _insert(bind, OLD, sort)
