"""内部培训审核 (seed 000 §6): staff decide many qualifications, classes or roster entries of
one kind at once through the core's one bulk decision (app/workflows/core/decisions.py):
each row in its own transaction, one refusal never undoing or stopping the others, every
row told — done, refused (the rule's reason) or taken (decided by someone else first). The
firm gets one message per decided qualification or class, one summary per class for
roster entries. The single decisions are in qualification.py, classes.py and roster.py."""
from app.extensions import db
from app.models import InhouseClass, InhouseQualification, InhouseRosterEntry
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many
from app.workflows.core.errors import NotFoundError, ValidationError
from app.workflows.core.scoping import get_scoped
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
