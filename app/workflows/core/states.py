"""The one state machine every status of every entity moves on.

A machine is a table of transitions, declared once per entity:

    MACHINE = Machine("consultation", Consultation, [
        T("reply", OPEN, AWAITING_USER, "回复", who=institute),
        T("close", OPEN, CLOSED, "办结", who=anyone, guards=[only_the_starter]),
    ])

`fire(item, event, actor, now, remark=…)` checks the transition (its source states, who may
fire it, its guards — named predicates that return a Chinese reason or None — and whether a
remark is required), raises a DomainError that names the current state and the reason, sets
the state, and appends a StatusHistory row (from, to, event, actor, remark, at) in the same
transaction. `allowed(item, actor, now)` is what pages draw as buttons and what the REST
verbs `POST /api/v1/<resource>/<id>/<verb>` accept. Entities that two people may decide at
once carry a `version_id_col`: the first commit wins, the second gets ConflictError.
"""
import dataclasses
from typing import Callable, Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import StatusHistory
from app.workflows.core.audit import actor_name
from app.workflows.core.errors import ForbiddenError, ValidationError
from app.workflows.core.scoping import is_institute

@dataclasses.dataclass(frozen=True)
class Who:
    """Who may fire a transition: a named predicate on (actor, item)."""

    label: str
    test: Callable

    def __call__(self, actor, item) -> bool:
        return bool(self.test(actor, item))


anyone = Who("任何有权查看的用户", lambda actor, item: True)
institute = Who("协会工作人员", lambda actor, item: is_institute(actor))
not_institute = Who("申请方", lambda actor, item: not is_institute(actor))
system = Who("系统", lambda actor, item: getattr(actor, "id", 0) is None)


@dataclasses.dataclass(frozen=True)
class Guard:
    """A named precondition: `check(item, actor, now)` returns None or the Chinese reason."""

    name: str
    check: Callable

    def __call__(self, item, actor, now):
        return self.check(item, actor, now)


@dataclasses.dataclass(frozen=True)
class T:
    """One transition: `event` from any of `sources` to `target`."""

    event: str
    sources: frozenset | tuple | set | str
    target: str
    label: str
    who: Who = anyone
    guards: tuple = ()
    remark: bool = False  # a reason (备注) must be given
    # for a machine whose state is derived (`read`): what the transition records instead
    # of setting a status column, e.g. lambda item, now: setattr(item, "offered_at", now)
    effect: Callable | None = None

    def __post_init__(self):
        sources = (self.sources,) if isinstance(self.sources, str) else self.sources
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "guards", tuple(self.guards))


class Machine:
    """The transitions of one entity's `field` (default `status`)."""

    def __init__(self, name: str, model, transitions: Iterable[T], field: str = "status",
                 initial: str | None = None, derived: Iterable[tuple] | None = None):
        """`derived`: a state read from the item's timestamps instead of stored in `field`
        (an offer that lapses by the clock, not by a job), declared as a table of
        `(state, test(item, now))` — the first whose test passes is the state, the last is
        the default; its transitions then record their `effect` rather than set a column."""
        self.name = name
        self.model = model
        self.derived = list(derived) if derived is not None else None
        self.field = None if self.derived is not None else field
        self.initial = initial
        self.transitions = list(transitions)
        if self.derived is not None:
            self.states = tuple(state for state, _test in self.derived)
        else:
            self.states = tuple(dict.fromkeys(
                [s for t in self.transitions for s in sorted(t.sources)]
                + [t.target for t in self.transitions]))
        self.events = {}
        for transition in self.transitions:
            self.events.setdefault(transition.event, []).append(transition)

    # --- reading -------------------------------------------------------------------------
    def state(self, item, now=None) -> str:
        if self.derived is not None:
            from app import clock

            now = now if now is not None else clock.now()
            for state, test in self.derived[:-1]:
                if test(item, now):
                    return state
            return self.derived[-1][0]
        return getattr(item, self.field)

    def verbs(self) -> list[str]:
        return list(self.events)

    def label(self, event: str) -> str:
        return self.events[event][0].label if event in self.events else event

    def _blocked(self, transition: T, item, actor, now) -> str | None:
        for guard in transition.guards:
            reason = guard(item, actor, now)
            if reason:
                return reason
        return None

    def allowed(self, item, actor, now) -> list[T]:
        """The transitions `actor` may fire on `item` now (one per event)."""
        state, found = self.state(item, now), {}
        for transition in self.transitions:
            if transition.event in found or state not in transition.sources:
                continue
            if transition.who(actor, item) and self._blocked(transition, item, actor,
                                                             now) is None:
                found[transition.event] = transition
        return list(found.values())

    # --- firing --------------------------------------------------------------------------
    def check(self, item, event: str, actor, now, expected_version: int | None = None) -> T:
        """The transition `event` would take now, or the reason it cannot (in the machine's
        words: the current state, who may, the guard's reason) — nothing changes. For a step
        another command completes (e.g. 接受名额 enrolls, and the enrollment fires it)."""
        candidates = self.events.get(event)
        if not candidates:
            raise ValidationError(f"没有名为“{event}”的操作")
        label = candidates[0].label
        state = self.state(item, now)
        if expected_version is not None and getattr(item, "version", None) not in (
                None, expected_version):
            raise ValidationError(f"该记录已被他人处理（当前状态：{state}），请刷新页面后再{label}")
        fitting = [t for t in candidates if state in t.sources]
        if not fitting:
            raise ValidationError(f"当前状态为“{state}”，不能{label}")
        permitted = [t for t in fitting if t.who(actor, item)]
        if not permitted:
            who = "、".join(dict.fromkeys(t.who.label for t in fitting))
            raise ForbiddenError(f"当前状态为“{state}”，只有{who}可以{label}")
        # an event may have several transitions from one state told apart by their guards
        # (e.g. 审核通过 → 待预约 for on-site types, → 办理完成 for the others): the first
        # whose guards pass is taken; if none passes, the first one's reason is given
        transition, reason = permitted[0], None
        for candidate in permitted:
            blocked = self._blocked(candidate, item, actor, now)
            if blocked is None:
                transition, reason = candidate, None
                break
            reason = reason or blocked
        if reason:
            raise ValidationError(f"当前状态为“{state}”，不能{label}：{reason}")
        return transition

    def fire(self, item, event: str, actor, now, remark: str | None = None,
             expected_version: int | None = None) -> T:
        """Move `item` by `event`, or raise the reason it cannot move (nothing changes)."""
        transition = self.check(item, event, actor, now, expected_version)
        label, state = transition.label, self.state(item, now)
        remark = (remark or "").strip() or None
        if transition.remark and not remark:
            raise ValidationError(f"{label}须填写原因（备注）", "remark")
        # read everything that may load (and so autoflush) before the state changes, so the
        # change and whatever the caller sets with it reach the database as one update
        with db.session.no_autoflush:
            name = actor_name(actor)[:128]
        if item.id is None:
            db.session.flush()
        if self.derived is not None:
            transition.effect(item, now)
        else:
            setattr(item, self.field, transition.target)
        db.session.add(StatusHistory(
            entity=self.name, entity_id=item.id, event=event, from_state=state,
            to_state=transition.target, actor_id=getattr(actor, "id", None),
            actor_name=name, remark=remark, at=now))
        return transition

    def record(self, item, event: str, actor, now, remark: str) -> None:
        """A step that keeps the state (改约: same status, another slot) in the item's 流程跟踪:
        one history row, the remark saying what changed."""
        state = self.state(item, now)
        db.session.add(StatusHistory(
            entity=self.name, entity_id=item.id, event=event, from_state=state,
            to_state=state, actor_id=getattr(actor, "id", None),
            actor_name=actor_name(actor)[:128], remark=remark, at=now))

    def start(self, item, actor, now, remark: str | None = None, event: str = "create") -> None:
        """Record an entity's first state (its creation) in its history."""
        if item.id is None:
            db.session.flush()
        db.session.add(StatusHistory(
            entity=self.name, entity_id=item.id, event=event, from_state=None,
            to_state=self.state(item, now), actor_id=getattr(actor, "id", None),
            actor_name=actor_name(actor)[:128], remark=remark, at=now))

    def history(self, item) -> list[StatusHistory]:
        """流程跟踪: the item's transitions, oldest first (the caller has scoped the item)."""
        return list(db.session.scalars(
            select(StatusHistory).where(StatusHistory.entity == self.name,
                                        StatusHistory.entity_id == item.id)
            .order_by(StatusHistory.id)))
