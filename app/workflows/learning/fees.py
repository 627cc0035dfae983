"""网络学习费用 (app/views/learning/admin.py LearningFeeView, REST `learning_fee`): staff
confirm receipt of a 非执业会员's fee (确认收款, one or many: each on its own, each with its
outcome) or take it back (撤销收款, the year's credited lessons are withdrawn)."""
from sqlalchemy import select

from app.extensions import db
from app.models import LearningFee, LessonProgress, Person, ProgressStatus, SourceKind
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import get_scoped, scoped_select
from app.workflows.hours import ledger
from app.workflows.learning.rules import FEE, PROGRESS, text_value
from app.workflows.messages import notify
from app.workflows.messages.recipients import person_users


def _uncredit_year(actor, now, person_id, year, why) -> int:
    rows = list(db.session.scalars(select(LessonProgress).where(
        LessonProgress.person_id == person_id, LessonProgress.year == year,
        LessonProgress.status == ProgressStatus.CREDITED)))
    for row in rows:
        ledger.withdraw(actor, now, SourceKind.ONLINE_LESSON, row.id)
        row.credited_at = None
        PROGRESS.fire(row, "uncredit", actor, now, remark=why)
    return len(rows)


@command
def mark_paid(actor, now, fee_id, remark=None, expected_version=None) -> LearningFee:
    """确认收款 (staff, on receipt): the next daily run credits the evaluated lessons."""
    fee = get_scoped(db.session, LearningFee, fee_id, actor, "学习费用记录不存在")
    receipt = text_value(remark, "remark", "收款凭证号或备注", 100, required=False) or None
    FEE.fire(fee, "mark_paid", actor, now, remark=receipt, expected_version=expected_version)
    fee.paid_at, fee.receipt = now, receipt
    notify(person_users(fee.person_id), "网络学习：学习费用已确认收款",
           f"协会已确认收到您{fee.year}年度网络学习费用{fee.amount:.2f}元（{fee.institute.name}）。"
           f"已学完并评价的课程将于次日计入学时。", now, link="/learning/")
    return fee


@command
def unmark_paid(actor, now, fee_id, remark=None) -> LearningFee:
    """撤销收款 (a reason required): the year's credited lessons are taken back."""
    fee = get_scoped(db.session, LearningFee, fee_id, actor, "学习费用记录不存在")
    FEE.fire(fee, "unmark_paid", actor, now, remark=remark)
    fee.paid_at, fee.receipt = None, None
    _uncredit_year(actor, now, fee.person_id, fee.year, f"撤销收款：{(remark or '').strip()}")
    return fee


FEE_COMMANDS = {"mark_paid": mark_paid, "unmark_paid": unmark_paid}


def mark_paid_many(actor, now, ids, remark=None, versions=None) -> BulkResult:
    """确认收款 for several orders through the core's one bulk decision: each on its own,
    each with its outcome (done, refused and why, or taken by someone else first)."""
    return decide_many(actor, now, ids, mark_paid, versions=versions, remark=remark,
                       describe=lambda pk: f"记录{pk}")


def unpaid_select(actor, now=None, firm_id=None):
    """网络学习费用 still 待缴费 as the actor reads them: what waits for 确认收款 (the list's
    待缴费 filter and the review centre's queue)."""
    query = scoped_select(LearningFee, actor).where(
        LearningFee.status.in_(frozenset().union(*(t.sources for t in FEE.events["mark_paid"]))))
    if firm_id:
        query = query.where(LearningFee.person.has(Person.firm_id == firm_id))
    return query


QUEUES = (Queue(
    name="learning_fee", label="网络学习费用", group="网络学习", model=LearningFee,
    select=unpaid_select, since=LearningFee.created_at,
    title=lambda row: f"{row.person.name} {row.year}年度网络学习费用{row.amount:.2f}元"
                      f"（缴费编号{row.reference or row.id}）",
    firm=lambda row: row.person.firm, link=lambda row: f"/learningfeeview/show/{row.id}",
    loads=("person.firm",),
    decisions=(Decision("mark_paid", "确认收款", mark_paid),),
    due_days=10, order=60),)
