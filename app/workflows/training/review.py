"""审核 and 培训结果 (seed 000 §5.1): staff decide enrollments through the state machine
(未审核 → 审核通过 / 审核未通过 with the reason), one or many at once, and after the class
record 合格 / 不合格 per person. Every decision tells the filer, the person and, for a
firm's people, the firm's administrator (系统消息, and mail where bound): the team rule
「every decision on something a user filed tells the filer」. 合格 credits the class's hours (面授, the class's category)
to a CPA with a certificate number through the hour ledger, idempotently (source
training_result:<enrollment id>); changing the result back withdraws exactly that credit."""
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (Delivery, Enrollment, EnrollmentStatus, Person, SourceKind, TrainingClass,
                        TrainingResult)
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many as decide_each
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import get_scoped, is_institute
from app.workflows.hours import ledger
from app.workflows.messages import notify, recipients
from app.workflows.training import calendar, enrollment, seats
from app.workflows.training.classes import class_started
from app.workflows.training.states import MACHINE  # noqa: F401 — pages and REST read it here


def _tell(row: Enrollment, now, title: str, body: str, attachments=()) -> None:
    """The filer (whoever enrolled), the person enrolled and its firm's administrator."""
    users = recipients.decision_recipients(person_id=row.person_id, firm_id=row.firm_id,
                                           filer_id=row.enrolled_by_id)
    notify(users, title, body, now, link=f"/training/classes/{row.class_id}",
           attachments=attachments)


def _class_words(item: TrainingClass) -> str:
    when = (f"{item.start_date:%Y-%m-%d}" if item.start_date == item.end_date
            else f"{item.start_date:%Y-%m-%d}至{item.end_date:%Y-%m-%d}")
    return f"培训班{recipients.quoted(item.name)}（{when}，{item.location}）"


def _load(actor, enrollment_id) -> Enrollment:
    return get_scoped(db.session, Enrollment, enrollment_id, actor, "报名记录不存在")


@command
def approve(actor, now, enrollment_id, remark=None, expected_version=None) -> Enrollment:
    """`expected_version`: the one the deciding page showed (refused if the row changed
    since: someone else decided it first)."""
    row = _load(actor, enrollment_id)
    MACHINE.fire(row, "approve", actor, now, remark=remark, expected_version=expected_version)
    item = row.training_class
    _tell(row, now, f"【培训报名】{row.name}报名{recipients.quoted(item.name)}审核通过",
          f"{row.name}报名的{_class_words(item)}已审核通过，请按时参加。",
          attachments=calendar.invitation(row, now))  # the class into the mail's calendar
    return row


@command
def reject(actor, now, enrollment_id, remark=None, expected_version=None) -> Enrollment:
    row = _load(actor, enrollment_id)
    invited = MACHINE.permits(row, "invited", actor, now)  # an approval mailed the class
    MACHINE.fire(row, "reject", actor, now, remark=remark, expected_version=expected_version)
    item = row.training_class
    _tell(row, now, f"【培训报名】{row.name}报名{recipients.quoted(item.name)}审核未通过",
          f"{row.name}报名的{_class_words(item)}审核未通过" + (f"，原因：{remark}" if remark
                                                          else "") + "。",
          # an approval already mailed the class: its calendar entry is cancelled
          attachments=calendar.invitation(row, now) if invited else ())
    seats.lock_class(row.class_id)
    db.session.flush()
    seats.SEAT_FREED.send(item, actor, now)
    return row


def _named(actor):
    def describe(pk) -> str:
        return get_scoped(db.session, Enrollment, pk, actor, "报名记录不存在").name
    return describe


def decide_many(actor, now, event: str, enrollment_ids, remark=None,
                versions=None) -> BulkResult:
    """Approve or reject several at once: each enrollment on its own (its own transaction),
    each with its outcome — done, refused (the reason) or taken (another member of staff
    decided it since the page showed it, `versions` {id: version}); never all or none."""
    if event not in COMMANDS:
        raise ValidationError("未知的审核操作")
    ids = list(dict.fromkeys(enrollment_ids or []))
    if not ids:
        raise ValidationError("请先勾选报名人员", "enrollment")
    return decide_each(actor, now, ids, COMMANDS[event], versions=versions,
                       describe=_named(actor), remark=remark)


def _credit(actor, now, row: Enrollment, item: TrainingClass) -> bool:
    """Credit (合格, a CPA with a number) or withdraw this enrollment's hours."""
    person = db.session.get(Person, row.person_id) if row.person_id else None
    if row.result == TrainingResult.PASSED and person is not None and person.cert_number:
        ledger.credit(actor, now, source_kind=SourceKind.TRAINING_RESULT, source_id=row.id,
                      person_id=person.id, year=item.end_date.year, title=item.name,
                      category=item.category, delivery=Delivery.FACE_TO_FACE, hours=item.hours,
                      obtained_at=item.end_date)
        return True
    ledger.withdraw(actor, now, SourceKind.TRAINING_RESULT, row.id)
    return False


@command
def set_result(actor, now, enrollment_id, result: str) -> Enrollment:
    """合格 / 不合格 / 尚未参加培训 for one approved enrollment, after the class started."""
    if not is_institute(actor):
        raise ForbiddenError("只有协会工作人员可以记录培训结果")
    if result not in TrainingResult.ALL:
        raise ValidationError(f"培训结果须为{'、'.join(TrainingResult.ALL)}之一", "result")
    row = _load(actor, enrollment_id)
    MACHINE.require(row, "record_result", actor, now)
    item = row.training_class
    if not class_started(item, now):
        raise ValidationError("培训班尚未开始，不能记录培训结果", "result")
    before = row.result
    changed = before != result
    if changed:
        row.result = result
        db.session.flush()
    credited = _credit(actor, now, row, item)
    if changed:
        effect = (f"已计入{item.end_date.year}年度面授学时{item.hours}学时（{item.category}）。"
                  if credited else "")
        if result == TrainingResult.PASSED and not credited:
            effect = "学时只记入持有证书编号的注册会计师名下。"
        if before == TrainingResult.PASSED:
            effect = "原已计入的学时已撤回。"
        _tell(row, now, f"【培训结果】{row.name}：{recipients.quoted(item.name)}{result}",
              f"{_class_words(item)}已记录{row.name}的培训结果：{result}。{effect}")
    return row


def set_class_results(actor, now, class_id, chosen: dict) -> BulkResult:
    """培训结果 from the class's page ({enrollment id: result}): only the changed ones are
    recorded, each on its own (its own transaction) with its outcome — one refused never
    undoes another; an enrollment of another class refuses the whole request first."""
    item = get_scoped(db.session, TrainingClass, class_id, actor, "培训班不存在")
    rows = {row.id: row for row in db.session.scalars(
        select(Enrollment).where(Enrollment.id.in_(list(chosen))))}
    if any(pk not in rows or rows[pk].class_id != item.id for pk in chosen):
        raise ValidationError("所选报名记录不属于该培训班")
    changed = {pk: result for pk, result in chosen.items() if rows[pk].result != result}
    if not changed:
        raise ValidationError("培训结果没有变化")

    def record(actor, now, pk):
        return set_result(actor, now, pk, changed[pk])

    return decide_each(actor, now, list(changed), record, describe=_named(actor))


def recredit_class(item: TrainingClass, actor, now) -> int:
    """The class's hours, category or dates changed (classes.CREDIT_CHANGED): re-credit
    everyone 合格."""
    rows = db.session.scalars(select(Enrollment).where(
        Enrollment.class_id == item.id, Enrollment.result == TrainingResult.PASSED)).all()
    return sum(1 for row in rows if _credit(actor, now, row, item))


COMMANDS = {"approve": approve, "reject": reject}


def results_select(actor, now, firm_id=None):
    """Approved enrollments of classes that have ended whose 培训结果 is still 尚未参加培训:
    what the class page's 培训结果 waits for (the review centre's queue)."""
    ended = clock.local_today(now)
    query = enrollment.enrollments_select(actor, status=EnrollmentStatus.APPROVED,
                                          firm_id=firm_id)
    return query.join(TrainingClass, TrainingClass.id == Enrollment.class_id).where(
        Enrollment.result == TrainingResult.NOT_YET, TrainingClass.end_date < ended)


def _result(value):
    def record(actor, now, pk, remark=None):
        return set_result(actor, now, pk, value)
    return record


def _enrollment_title(row) -> str:
    return f"{row.name}报名“{row.training_class.name}”"


# 审核中心 (app/workflows/review_centre.py): every class's 未审核 enrollments, and the
# approved ones of ended classes still waiting for their 培训结果
QUEUES = (
    Queue(name="training_enrollment", label="培训班报名", group="CPA专题培训", model=Enrollment,
          select=lambda actor, now, firm_id=None: enrollment.enrollments_select(
              actor, status=EnrollmentStatus.PENDING, firm_id=firm_id),
          since=Enrollment.created_at, title=_enrollment_title,
          firm=lambda row: row.firm, link=lambda row: f"/training-admin/enrollment/{row.id}",
          loads=("firm", "training_class"),
          decisions=(Decision("approve", "审核通过", approve),
                     Decision("reject", "审核未通过", reject, remark=True)),
          due_days=3, deadline=lambda row: row.training_class.start_date, order=20),
    Queue(name="training_result", label="培训结果", group="CPA专题培训", model=Enrollment,
          select=results_select, since=TrainingClass.end_date,
          title=lambda row: f"{_enrollment_title(row)}（{row.training_class.end_date:%Y-%m-%d}结束）",
          firm=lambda row: row.firm, link=lambda row: f"/training-admin/{row.class_id}",
          loads=("firm", "training_class"),
          decisions=(Decision("passed", "合格", _result(TrainingResult.PASSED)),
                     Decision("failed", "不合格", _result(TrainingResult.FAILED))),
          due_days=7, order=21),
)
