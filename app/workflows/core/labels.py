"""Statuses are stored as stable codes ("submitted") and shown through labels
("已提交待北注协审核"), issue 25 item 8.

Each status class of app/models declares its `LABELS` (code → words); a machine declares
them (`Machine(..., labels=CaseStatus.LABELS)`), and a model whose status moves on no machine
(事务所, 人员, the outboxes) declares them as `__labels__ = {"status": FirmStatus.LABELS}`.
Everything a user reads goes through here: `label(item)` for one row, `labels_for(Model)`
for a list's formatter and a filter's choices, `code_of(labels, value)` for a filter value a
user typed or a link sent in the old words (both still work)."""
from app.workflows.core.states import MACHINES, machine_for


def labels_for(model, field: str = "status") -> dict[str, str]:
    """The labels of `model`'s `field` (empty: the column holds no coded status)."""
    machine = machine_for(model)
    if machine is not None and machine.labels and (machine.field or "status") == field:
        return machine.labels
    return (getattr(model, "__labels__", None) or {}).get(field, {})


def label(item, field: str = "status", now=None) -> str:
    """The words for `item`'s status (its machine's state when the state is derived)."""
    if item is None:
        return ""
    machine = machine_for(type(item))
    if machine is not None and machine.labels and (machine.field or "status") == field:
        return machine.label_of(machine.state(item, now))
    value = getattr(item, field, None)
    if value is None:
        return ""
    return labels_for(type(item), field).get(value, value)


def label_of(labels: dict, value) -> str:
    """A code's words from a status class's LABELS (`value` itself when it is no code)."""
    if value is None:
        return ""
    return labels.get(value, value)


def code_of(labels: dict, value):
    """The code a filter value stands for: a code as it is, a label (the words a user typed
    or an old link carries) as its code, anything else unchanged."""
    if not isinstance(value, str) or value in labels:
        return value
    for code, words in labels.items():
        if words == value:
            return code
    return value


def history_label(entry, field: str = "to_state") -> str:
    """A 流程跟踪 row's state (its machine named by `entry.entity`) in words."""
    state = getattr(entry, field)
    machine = MACHINES.get(entry.entity)
    if machine is None:
        return state or ""
    return machine.label_of(state)
