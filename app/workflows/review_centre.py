"""审核中心 (issue 26): everything waiting on the institute on one page — in-house
qualifications, classes and roster entries, class enrollments and results, hour
applications, registration cases, transfers, learning fees, consultations awaiting a reply.

Each queue is declared by its domain (`Domain(..., queues=…)`, app/workflows/core/queues.py)
with the query of the domain's own review list, so the centre lists exactly the rows those
lists show as waiting; the centre imports no domain. Items are oldest first, with the days
they have waited and whether they are past due. Decisions go through the core's one bulk
decision (decide_many): each item in its own transaction, each with its outcome; an item
someone else decided since the page showed it is "taken" — the first decision wins, the
second member of staff is told.
"""
import dataclasses
import datetime as dt
import inspect

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.workflows.core import loading, queues as registry
from app.workflows.core.commands import command
from app.workflows.core.decisions import BulkResult, decide_many
from app.workflows.core.errors import (AlreadyDecided, ForbiddenError, NotFoundError,
                                       ValidationError)
from app.workflows.core.scoping import get_scoped, is_institute

STAFF_ONLY = "审核中心只对协会工作人员开放"
PAGE_ITEMS = 50  # items shown per queue (the count is always the whole queue)


@dataclasses.dataclass(frozen=True)
class Item:
    id: int
    title: str
    firm: str
    since: dt.datetime | dt.date | None
    days: int | None          # days waited (Beijing dates)
    past_due: bool
    deadline: dt.date | None
    version: int | None
    link: str


@dataclasses.dataclass(frozen=True)
class QueueView:
    name: str
    label: str
    group: str
    count: int
    past_due: int           # among the items shown
    oldest_days: int | None
    items: list
    decisions: tuple        # (event, label, remark required)


def _require_staff(actor) -> None:
    if not is_institute(actor):
        raise ForbiddenError(STAFF_ONLY)


def _local_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return clock.local_today(value)
    return value


def groups() -> list[str]:
    """The kind filter's choices, in the centre's order."""
    return list(dict.fromkeys(q.group for q in registry.registered()))


def chosen(kinds=None) -> list:
    """The registered queues of the kinds asked for (a queue's name or its group)."""
    wanted = {k for k in (kinds or []) if k}
    return [q for q in registry.registered()
            if not wanted or q.name in wanted or q.group in wanted]


def _item(queue, row, since, today) -> Item:
    days = (today - _local_date(since)).days if since is not None else None
    deadline = _local_date(queue.deadline(row)) if queue.deadline else None
    past_due = (days is not None and days > queue.due_days) or (
        deadline is not None and deadline <= today)
    firm = queue.firm(row)
    return Item(id=row.id, title=queue.title(row), firm=firm.name if firm else "协会代管",
                since=since, days=days, past_due=past_due, deadline=deadline,
                version=getattr(row, "version", None), link=queue.link(row))


def assemble(actor, now, firm_id=None, kinds=None, limit: int = PAGE_ITEMS) -> list[QueueView]:
    """Every queue (or those of `kinds`) with its count and its oldest `limit` items, each
    with the days it waited and whether it is past due; narrowed to one firm if asked."""
    _require_staff(actor)
    today = clock.local_today(now)
    shown = []
    for queue in chosen(kinds):
        query = queue.select(actor, now, firm_id=firm_id)
        count = db.session.scalar(select(func.count()).select_from(
            query.order_by(None).subquery()))
        rows = db.session.execute(query.add_columns(queue.since).options(
            *loading.loads(queue.model, queue.loads)).order_by(
            queue.since.asc(), queue.model.id.asc()).limit(limit)).all() if count else []
        items = [_item(queue, row, since, today) for row, since in rows]
        shown.append(QueueView(
            name=queue.name, label=queue.label, group=queue.group, count=count,
            past_due=sum(1 for i in items if i.past_due),
            oldest_days=items[0].days if items else None, items=items,
            decisions=tuple((d.event, d.label, d.remark) for d in queue.decisions)))
    return shown


def waiting(actor, now, kinds=None) -> list[tuple]:
    """(queue, items waiting, since when its oldest item waits) of every queue (or those of
    `kinds`): one aggregate statement per queue over the query its list runs — what the
    staff home page shows, without loading and sorting any row."""
    _require_staff(actor)
    found = []
    for queue in chosen(kinds):
        # the query's own FROM and WHERE with only the two columns read (a subquery of
        # every column of the row costs more Python than the SQL costs the database)
        rows = queue.select(actor, now).order_by(None).with_only_columns(
            queue.model.id, queue.since.label("waiting_since"),
            maintain_column_froms=True).subquery("waiting")
        count, oldest = db.session.execute(
            select(func.count(), func.min(rows.c.waiting_since))).one()
        found.append((queue, count, oldest if count else None))
    return found


def counts(actor, now) -> dict[str, int]:
    """{queue name: items waiting} (a badge)."""
    return {queue.name: count for queue, count, _oldest in waiting(actor, now)}


def decision_label(queue_name: str, event: str) -> str:
    """How a page names a decision (审核通过, 确认收款 …)."""
    queue = registry.QUEUES.get(queue_name)
    decision = queue.decision(event) if queue else None
    return decision.label if decision else "处理"


def _accepts(func, name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


@command
def _decide_one(actor, now, pk, *, queue, decision, remark=None, expected_version=None):
    """One item: still waiting (else someone decided it first), at the version shown, then
    the domain's own command, in this one transaction (the row's version makes a decision
    committed meanwhile by someone else fail this one: ConflictError, also "taken")."""
    row = db.session.scalars(queue.select(actor, now).where(queue.model.id == pk)).first()
    if row is None:
        get_scoped(db.session, queue.model, pk, actor, f"{queue.label}不存在")
        raise AlreadyDecided(f"该{queue.label}已不在待审核之列（已被他人处理），请刷新页面")
    if expected_version is not None and getattr(row, "version", None) not in (
            None, expected_version):
        raise AlreadyDecided(f"该{queue.label}已被他人处理，请刷新页面后再{decision.label}")
    extra = {"expected_version": expected_version} if (
        expected_version is not None and _accepts(decision.command, "expected_version")) else {}
    return decision.command(actor, now, pk, remark=remark, **extra)


def decide(actor, now, queue_name: str, event: str, ids, remark=None,
           versions: dict | None = None) -> BulkResult:
    """One decision on several items of one queue through the core's one bulk decision:
    each item done, refused (the rule's reason) or taken (decided by someone else first).
    A decision that needs a reason, given none, is refused before any item is touched."""
    _require_staff(actor)
    queue = registry.QUEUES.get(queue_name)
    if queue is None:
        raise NotFoundError("没有这个审核队列")
    decision = queue.decision(event)
    if decision is None:
        raise ValidationError(f"{queue.label}没有“{event}”这种处理", "decision")
    remark = (remark or "").strip() or None
    if decision.remark and not remark:
        raise ValidationError(f"{decision.label}须填写原因", "remark")

    def describe(pk) -> str:
        row = get_scoped(db.session, queue.model, pk, actor)
        return f"{queue.label}：{queue.title(row)}"

    return decide_many(actor, now, ids, _decide_one, versions=versions, describe=describe,
                       queue=queue, decision=decision, remark=remark)
