"""正常 or not: the one predicate that reads a person's or a firm's status flag in Python.

A person is 正常 or 撤销 (a firm 正常 or 注销) as staff set it in the registry's form and a
firm's roster import sets it (撤销 those no longer listed, 恢复 those listed again). It is a
flag of the registry, not a workflow: nobody fires a step on it and it keeps no 流程跟踪 (the
audit log records each change), so it has no machine. Rules that depend on it — an account
that may sign in, the roster a firm has, whom a firm may reset — ask `active(row)`; SQL
filters write `Person.status == PersonStatus.ACTIVE`.
"""
from app.models import Firm, FirmStatus, Person, PersonStatus

ACTIVE = {Person: PersonStatus.ACTIVE, Firm: FirmStatus.ACTIVE}


def active(row) -> bool:
    """Whether a Person (or a Firm) is 正常."""
    return row.status == ACTIVE[type(row)]
