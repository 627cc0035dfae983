"""内部培训审核 (seed 000 §6): staff decide many qualifications, classes or roster entries of
one kind at once through the core's one bulk decision (app/workflows/core/decisions.py):
each row in its own transaction, one refusal never undoing or stopping the others, every
row told — done, refused (the rule's reason) or taken (decided by someone else first). The
firm gets one message per decided qualification or class, one summary per class for
roster entries. The single decisions are in qualification.py, classes.py and roster.py."""
from app.extensions import db
from app.models import (Category, EntryStatus, InhouseClass, InhouseQualification,
                        InhouseRosterEntry, ReviewStatus)
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many
from app.workflows.core.errors import NotFoundError, ValidationError
from app.workflows.core.queues import Decision, Queue
from app.workflows.core.scoping import get_scoped, scoped_select
from app.workflows.inhouse.classes import approve_class, reject_class
from app.workflows.inhouse.common import tell_firm
from app.workflows.inhouse.qualification import approve_qualification, reject_qualification
from app.workflows.inhouse.roster import approve_entry, reject_entry

QUALIFICATION_COMMANDS = {"approve": approve_qualification, "reject": reject_qualification}
CLASS_COMMANDS = {"approve": approve_class, "reject": reject_class}
ENTRY_COMMANDS = {"approve": approve_entry, "reject": reject_entry}
REVIEW_KINDS = {
    "qualification": (InhouseQualification, QUALIFICATION_COMMANDS, "内培资格申请"),
    "class": (InhouseClass, CLASS_COMMANDS, "培训班"),
    "entry": (InhouseRosterEntry, ENTRY_COMMANDS, "学员名单"),
}
NO_REASON = "审核未通过须填写原因"
# what waits for a decision, per kind (the queue page opens on it)
WAITING = {"qualification": ReviewStatus.PENDING, "class": ReviewStatus.PENDING,
           "entry": EntryStatus.ENROLLED}


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def review_select(actor, kind: str, *, firm_id=None, year=None, status=None, category=None,
                  class_id=None, name=None):
    """内部培训审核's list of one kind as the actor reads it, filtered: the one query of the
    queue page and of the review centre (which asks for the waiting status only)."""
    model = REVIEW_KINDS[kind][0]
    query = scoped_select(model, actor)
    if kind == "entry":
        query = query.join(InhouseClass, InhouseClass.id == InhouseRosterEntry.class_id)
        firm_col, year_col = InhouseClass.firm_id, InhouseClass.year
    else:
        firm_col, year_col = model.firm_id, model.year
    if firm_id:
        query = query.where(firm_col == firm_id)
    if year:
        query = query.where(year_col == year)
    if status:
        query = query.where(model.status == status)
    if kind != "qualification" and category in Category.ALL:
        query = query.where(InhouseClass.category == category)
    if kind == "entry" and class_id:
        query = query.where(InhouseRosterEntry.class_id == class_id)
    if name and kind != "qualification":
        query = query.where(model.name.like(_like(name), escape="\\"))
    return query


def _describer(actor, kind):
    """How the outcomes name a row: the firm and year, the class, the person and class."""
    model, _commands, label = REVIEW_KINDS[kind]

    def describe(pk) -> str:
        row = get_scoped(db.session, model, pk, actor, f"{label}不存在")
        if kind == "qualification":
            return f"{row.firm.name}{row.year}年度内培资格申请"
        if kind == "class":
            return f"培训班“{row.name}”"
        return f"学员{row.name}（培训班“{row.inhouse_class.name}”）"
    return describe


def review_many(actor, now, kind: str, ids, decision: str, remark=None,
                versions=None) -> BulkResult:
    """Approve or reject several rows of one kind (`versions`: {id: the version the page
    showed}). A rejection without a reason is refused before any row is touched (the form
    is wrong, not a row)."""
    if kind not in REVIEW_KINDS:
        raise NotFoundError("没有这种审核对象")
    _model, commands, _label = REVIEW_KINDS[kind]
    decide = commands.get(decision)
    if decide is None:
        raise ValidationError("没有这种审核操作", "decision")
    if decision == "reject" and not (remark or "").strip():
        raise ValidationError(NO_REASON, "remark")
    result = decide_many(actor, now, ids, decide, versions=versions,
                         describe=_describer(actor, kind), remark=remark,
                         notify_firm=kind != "entry")
    if kind == "entry" and result.done:
        _summarise(actor, now, [o.id for o in result.done], decision, remark)
    return result


@command
def _summarise(actor, now, entry_ids, decision, remark):
    """One message per class to the firm for the entries decided together."""
    word = "审核通过" if decision == "approve" else "审核未通过"
    by_class = {}
    for pk in entry_ids:
        entry = db.session.get(InhouseRosterEntry, pk)
        if entry is not None:
            by_class.setdefault(entry.class_id, []).append(entry.name)
    for class_id, names in by_class.items():
        item = db.session.get(InhouseClass, class_id)
        shown = "、".join(names[:20]) + (f"等{len(names)}人" if len(names) > 20 else "")
        body = f"培训班“{item.name}”的学员{shown}{word}。"
        if decision == "reject":
            body += f"原因：{remark}。"
        tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员{word}（{len(names)}人）", body, now)


def _waiting(kind):
    return lambda actor, now, firm_id=None: review_select(actor, kind, firm_id=firm_id,
                                                          status=WAITING[kind])


def _class_deadline(row):
    return row.start_date


# 审核中心 (app/workflows/review_centre.py): the three lists of 内部培训审核
QUEUES = (
    Queue(name="inhouse_qualification", label="内培资格申请", group="事务所内部培训",
          model=InhouseQualification, select=_waiting("qualification"),
          since=InhouseQualification.submitted_at,
          title=lambda row: f"{row.year}年度内培资格申请", firm=lambda row: row.firm, loads=("firm",),
          link=lambda row: f"/inhouse/review/qualification/{row.id}",
          decisions=(Decision("approve", "审核通过", approve_qualification),
                     Decision("reject", "审核未通过", reject_qualification, remark=True)),
          due_days=10, order=10),
    Queue(name="inhouse_class", label="内部培训班", group="事务所内部培训",
          model=InhouseClass, select=_waiting("class"), since=InhouseClass.created_at,
          title=lambda row: f"培训班“{row.name}”（{row.start_date:%Y-%m-%d}开班）",
          firm=lambda row: row.firm, link=lambda row: f"/inhouse/review/class/{row.id}", loads=("firm",),
          decisions=(Decision("approve", "审核通过", approve_class),
                     Decision("reject", "审核未通过", reject_class, remark=True)),
          due_days=5, deadline=_class_deadline, order=11),
    Queue(name="inhouse_entry", label="内部培训学员名单", group="事务所内部培训",
          model=InhouseRosterEntry, select=_waiting("entry"),
          since=InhouseRosterEntry.created_at,
          title=lambda row: f"学员{row.name}（培训班“{row.inhouse_class.name}”）",
          firm=lambda row: row.inhouse_class.firm, loads=("inhouse_class.firm",),
          link=lambda row: f"/inhouse/review/entry/?class={row.class_id}",
          decisions=(Decision("approve", "审核通过", approve_entry),
                     Decision("reject", "审核未通过", reject_entry, remark=True)),
          due_days=10, order=12),
)
