"""One bulk decision: the same event fired on many rows, with one semantics everywhere.

    result = decide_many(actor, now, ids, approve, versions={12: 3, 14: 1}, remark="…")

- each row is decided by `decide(actor, now, id, **kwargs)` — a command, so each row is
  its own transaction: one row refused never undoes or blocks another;
- every row gets an outcome: done, refused (with the rule's reason) or taken — decided by
  someone else first (its version moved on since the page showed it, or a concurrent
  commit won: ConflictError / AlreadyDecided);
- it never stops at the first refusal; ids are taken once each, in the order given.

Review queues and the review centre show `result.outcomes` item by item
(app/views/core/machines.py `flash_outcomes`); REST returns them as JSON (`as_json`).
"""
import dataclasses
from typing import Callable, Iterable

from app.workflows.core.commands import in_command
from app.workflows.core.errors import AlreadyDecided, ConflictError, DomainError, NotFoundError

DONE, REFUSED, TAKEN = "done", "refused", "taken"
WORDS = {DONE: "已完成", REFUSED: "未通过", TAKEN: "已被他人处理"}


@dataclasses.dataclass(frozen=True)
class Outcome:
    id: int | str
    result: str  # DONE, REFUSED or TAKEN
    message: str = ""
    label: str = ""  # how the page names the row (e.g. 张三 2026年度面授学时申请)

    @property
    def name(self) -> str:
        return self.label or f"编号 {self.id}"


@dataclasses.dataclass
class BulkResult:
    outcomes: list[Outcome]

    def _of(self, result: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == result]

    @property
    def done(self) -> list[Outcome]:
        return self._of(DONE)

    @property
    def refused(self) -> list[Outcome]:
        return self._of(REFUSED)

    @property
    def taken(self) -> list[Outcome]:
        return self._of(TAKEN)

    def messages(self) -> list[str]:
        """One line per row not done: what it is and why."""
        return [f"{o.name}：{o.message or WORDS[o.result]}" for o in self.outcomes
                if o.result != DONE]

    def as_json(self) -> dict:
        return {"done": len(self.done), "refused": len(self.refused), "taken": len(self.taken),
                "outcomes": [{"id": o.id, "result": o.result, "message": o.message}
                             for o in self.outcomes]}


def decide_many(actor, now, ids: Iterable, decide: Callable, *, versions: dict | None = None,
                describe: Callable | None = None, **kwargs) -> BulkResult:
    """Fire `decide(actor, now, id, **kwargs)` (a command) on each id, each in its own
    transaction. `versions` maps an id to the version its page showed (passed on as
    `expected_version`); `describe(id)` names a row in the outcomes (else 编号 id)."""
    if in_command():
        raise RuntimeError("decide_many commits each row on its own: call it outside a command")
    versions = versions or {}
    outcomes, seen = [], set()
    for raw in ids:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            outcomes.append(Outcome(raw, REFUSED, f"编号“{raw}”无效"))
            continue
        if pk in seen:
            continue
        seen.add(pk)
        extra = dict(kwargs)
        if pk in versions and versions[pk] is not None:
            extra["expected_version"] = versions[pk]
        try:
            decide(actor, now, pk, **extra)
            outcome = Outcome(pk, DONE)
        except (ConflictError, AlreadyDecided) as error:
            outcome = Outcome(pk, TAKEN, error.message)
        except NotFoundError:
            outcome = Outcome(pk, REFUSED, "记录不存在或无权查看")
        except DomainError as error:
            outcome = Outcome(pk, REFUSED, error.message)
        if describe is not None:
            try:
                outcome = dataclasses.replace(outcome, label=describe(pk) or "")
            except DomainError:
                pass
        outcomes.append(outcome)
    return BulkResult(outcomes)
