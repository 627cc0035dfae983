"""Review queues: what waits on the institute, declared once by each domain.

A domain lists its queues in its `Domain(..., queues=(…))`; each queue names the query of
the domain's own review list (one source of truth: the list page and the 审核中心 read the
same rows) and the decisions staff may take on its rows, each one of the domain's own
commands. The review centre (app/workflows/review_centre.py) reads them from here and
never imports a domain.

    QUEUE = Queue(
        name="hour_application", label="学时申请", group="学时申请",
        model=HourApplication, since=HourApplication.submitted_at,
        select=lambda actor, now, firm_id=None: review_select(actor, status=PENDING,
                                                              firm_id=firm_id),
        title=lambda row: f"{row.person.name} {row.year}年度{row.kind}",
        firm=lambda row: row.person.firm, link=lambda row: f"/applications/{row.id}",
        decisions=(Decision("confirm", "确认", confirm),
                   Decision("refuse", "不予确认", refuse, remark=True)),
        due_days=10)
"""
import dataclasses
from typing import Callable

QUEUES: dict[str, "Queue"] = {}


@dataclasses.dataclass(frozen=True)
class Decision:
    """One decision on a queue's rows: `command(actor, now, pk, remark=…)` (a command)."""
    event: str
    label: str
    command: Callable
    remark: bool = False  # a reason is required


@dataclasses.dataclass(frozen=True)
class Queue:
    name: str               # stable code, in URLs and REST
    label: str              # what the centre calls the queue (内培资格申请)
    group: str              # the kind filter's words: the manual's section (事务所内部培训)
    model: type
    # (actor, now, firm_id=None) -> Select of the rows waiting on the institute: the same
    # query the domain's own review list runs, narrowed to one firm when asked
    select: Callable
    since: object           # the column (SQL) the row has been waiting since, oldest first
    title: Callable         # row -> what the item is, in words
    firm: Callable          # row -> its Firm (None: 协会代管 / no firm)
    link: Callable          # row -> the URL of its page (where it is decided one by one)
    decisions: tuple = ()   # Decision, …; none: decided on its own page (a reply)
    due_days: int = 5       # waiting longer than this many days is past due
    # row -> a date by which it must be decided (an in-house class before it starts), or None
    deadline: Callable | None = None
    order: int = 100        # position in the centre (the manuals' order)
    # the many-to-one paths `title` and `firm` read ("person.firm"), loaded with the page's
    # rows in one statement each instead of one per row
    loads: tuple = ()

    def decision(self, event: str) -> Decision | None:
        return next((d for d in self.decisions if d.event == event), None)


def register(queue: Queue) -> Queue:
    """Put a queue in QUEUES (create_app, for each domain's DOMAIN.queues). The same queue
    again is a no-op; another queue under a name already taken is refused."""
    if not isinstance(queue, Queue):
        raise TypeError(f"{queue!r} is not a Queue")
    known = QUEUES.get(queue.name)
    if known is not None and known is not queue:
        raise RuntimeError(f"review queue {queue.name!r} is registered twice")
    QUEUES[queue.name] = queue
    return queue


def registered() -> list[Queue]:
    """Every queue, in the centre's order."""
    return sorted(QUEUES.values(), key=lambda q: (q.order, q.name))
