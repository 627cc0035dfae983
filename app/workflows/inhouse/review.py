"""内部培训审核 (seed 000 §6): staff decide many qualifications, classes or roster entries of
one kind at once — each in its own transaction, one refusal never undoing the others — and
the firm gets one message per decided qualification or class, one summary per class for
roster entries. The single decisions are in rules.py."""
from app.extensions import db
from app.models import InhouseClass, InhouseQualification, InhouseRosterEntry
from app.workflows.core.commands import command
from app.workflows.core.errors import DomainError, NotFoundError, ValidationError
from app.workflows.inhouse.rules import (_tell_firm, approve_class, approve_entry,
                                         approve_qualification, reject_class, reject_entry,
                                         reject_qualification)


QUALIFICATION_COMMANDS = {"approve": approve_qualification, "reject": reject_qualification}
CLASS_COMMANDS = {"approve": approve_class, "reject": reject_class}
ENTRY_COMMANDS = {"approve": approve_entry, "reject": reject_entry}
REVIEW_KINDS = {
    "qualification": (InhouseQualification, QUALIFICATION_COMMANDS, "内培资格申请"),
    "class": (InhouseClass, CLASS_COMMANDS, "培训班"),
    "entry": (InhouseRosterEntry, ENTRY_COMMANDS, "学员名单"),
}


def review_many(actor, now, kind: str, ids, decision: str, remark=None,
                versions=None) -> tuple[int, list[str]]:
    """Approve or reject several rows of one kind; each in its own transaction (one refusal
    does not undo the others). Returns (done, [Chinese message per refusal]). The firm gets
    one message per decision of a qualification or class, one summary per class for
    roster entries."""
    if kind not in REVIEW_KINDS:
        raise NotFoundError("没有这种审核对象")
    model, commands, label = REVIEW_KINDS[kind]
    call = commands.get(decision)
    if call is None:
        raise NotFoundError("没有这种审核操作")
    if decision == "reject" and not (remark or "").strip():
        raise ValidationError("审核未通过须填写原因", "remark")
    done, errors, by_class = 0, [], {}
    for pk in ids:
        try:
            item = call(actor, now, pk, remark=remark, notify_firm=kind != "entry",
                        version=(versions or {}).get(pk))
        except DomainError as error:
            errors.append(f"第{pk}号{label}：{error.message}")
            continue
        done += 1
        if kind == "entry":
            by_class.setdefault(item.class_id, []).append(item.name)
    if by_class:
        _summarise(actor, now, by_class, decision, remark)
    return done, errors


@command
def _summarise(actor, now, by_class, decision, remark):
    word = "审核通过" if decision == "approve" else "审核未通过"
    for class_id, names in by_class.items():
        item = db.session.get(InhouseClass, class_id)
        shown = "、".join(names[:20]) + (f"等{len(names)}人" if len(names) > 20 else "")
        body = f"培训班“{item.name}”的学员{shown}{word}。"
        if decision == "reject":
            body += f"原因：{remark}。"
        _tell_firm(item.firm_id, f"【内部培训】“{item.name}”学员{word}（{len(names)}人）", body, now)
