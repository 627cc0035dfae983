"""The one state machine every status of every entity moves on.

A machine is a table of transitions, declared once per entity:

    MACHINE = Machine("consultation", Consultation, [
        T("reply", OPEN, AWAITING_USER, "回复", who=institute),
        T("close", OPEN, CLOSED, "办结", who=anyone, guards=[only_the_starter]),
    ])

A machine also declares, per state, the actions that are not transitions — 修改, 删除, 上传
材料, 登记成绩 — and who may take them:

    permits=[P("edit", {DRAFT, REFUSED}, "修改", who=filer)]

`permits(item, action, actor, now)` is what a page asks before drawing the button or the
form, what REST asks before a write, and what the workflow's command calls as `require`
(raising the reason in the machine's words); it answers for a transition's event too (the
refusal `fire` would raise). `states_for(action)` gives the states for a SQL filter;
`state_allows(item, action)` and `reached(item, event)` ask the state alone (what a page
draws by state, whether a worker still has something to do). A refusal may carry its own
words per state (`refused={COMMITTED: "该预览已正式导入，不能重复提交"}`). No status is
compared outside a machine except in SQL.

`after(event)` is a Hook (app/workflows/core/hooks.py) sent after a transition is made, in
the same transaction: another module reacts (handling the last case of an appointment
closes it) without the machine's module importing it.

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

from app import clock
from app.extensions import db
from app.models import StatusHistory
from app.workflows.core.acting import acts_for
from app.workflows.core.audit import actor_name
from app.workflows.core.errors import AlreadyDecided, DomainError, ForbiddenError, ValidationError
from app.workflows.core.hooks import Hook
from app.workflows.core.scoping import is_institute

MACHINES: dict[str, "Machine"] = {}


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
# the row's own actor as its model declares it (`__actors__`, app/workflows/core/acting.py)
acting = Who("办理该事项的事务所或本人", acts_for)


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
    # the refusal's own words in a state it cannot be taken from ({state: message}), where
    # users read more than “当前状态为…，不能…” (an import batch: 该预览已正式导入，不能重复提交)
    refused: dict | None = None

    def __post_init__(self):
        sources = (self.sources,) if isinstance(self.sources, str) else self.sources
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "guards", tuple(self.guards))


@dataclasses.dataclass(frozen=True)
class P:
    """An action that is not a transition (修改, 删除, 上传材料), allowed in `states` to `who`
    when its guards pass."""

    action: str
    states: frozenset | tuple | set | str
    label: str
    who: Who = anyone
    guards: tuple = ()
    refused: dict | None = None  # as T.refused: {state: the refusal's own words}

    def __post_init__(self):
        states = (self.states,) if isinstance(self.states, str) else self.states
        object.__setattr__(self, "states", frozenset(states))
        object.__setattr__(self, "guards", tuple(self.guards))


class Machine:
    """The transitions of one entity's `field` (default `status`)."""

    def __init__(self, name: str, model, transitions: Iterable[T], field: str = "status",
                 initial: str | None = None, derived: Iterable[tuple] | None = None,
                 permits: Iterable[P] = (), labels: dict[str, str] | None = None):
        """`derived`: a state read from the item's timestamps instead of stored in `field`
        (an offer that lapses by the clock, not by a job), declared as a table of
        `(state, test(item, now))` — the first whose test passes is the state, the last is
        the default; its transitions then record their `effect` rather than set a column.
        `labels`: each state's words (states are stored as stable codes, "submitted"; pages,
        exports, messages and refusals show the label, "已提交待北注协审核"); without them
        the model's `__labels__` for the column."""
        self.name = name
        self.model = model
        permits = list(permits)
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
        for entry in [*self.transitions, *permits]:
            unknown = set(entry.refused or ()) - set(self.states)
            if unknown:
                raise ValueError(f"{name}: “{entry.label}” words a refusal in states the "
                                 f"machine does not have: {sorted(unknown)}")
        self.permissions: dict[str, list[P]] = {}
        for permit in permits:
            unknown = permit.states - set(self.states)
            if unknown:
                raise ValueError(f"{name}: “{permit.label}” names states the machine does not "
                                 f"have: {sorted(unknown)}")
            if permit.action in self.events:
                raise ValueError(f"{name}: “{permit.label}” has the name of a transition: "
                                 f"{permit.action!r}")
            self.permissions.setdefault(permit.action, []).append(permit)
        if labels is None:  # else the words the model declares for the column
            labels = (getattr(model, "__labels__", None) or {}).get(self.field or "status")
            self.labels = dict(labels or {})
            labels = None  # not declared on the machine: a state may lack words
        else:
            self.labels = dict(labels)
        unlabelled = set(self.states) - set(self.labels)
        if labels is not None and unlabelled:
            raise ValueError(f"{name}: states without a label: {sorted(unlabelled)}")
        self._after: dict[str, Hook] = {}
        MACHINES[name] = self

    def label_of(self, state: str | None) -> str:
        """The words a user reads for `state` (a code the machine does not know: as it is)."""
        if state is None:
            return ""
        return self.labels.get(state, state)

    # --- hooks ---------------------------------------------------------------------------
    def after(self, event: str) -> Hook:
        """The hook sent as `(item, actor, now)` after `event` is fired, same transaction."""
        if event not in self.events:
            raise ValueError(f"{self.name} has no event {event!r}")
        if event not in self._after:
            self._after[event] = Hook(f"{self.name}.after.{event}")
        return self._after[event]

    # --- actions that are not transitions -------------------------------------------------
    def states_for(self, action: str) -> frozenset:
        """The states in which `action` may be taken by someone (for SQL filters)."""
        if action not in self.permissions:
            raise ValueError(f"{self.name} declares no action {action!r}")
        return frozenset().union(*(p.states for p in self.permissions[action]))

    def refusal(self, item, action: str, actor, now) -> DomainError | None:
        """Why `actor` may not take `action` on `item` now (None: it may). `action` is a
        declared non-transition action, or a transition's event (the refusal `fire` would
        raise, firing nothing)."""
        if action not in self.permissions:
            if action in self.events:
                try:
                    self.check(item, action, actor, now)
                except DomainError as error:
                    return error
                return None
            raise ValueError(f"{self.name} declares no action {action!r}")
        permits = self.permissions[action]
        label, state = permits[0].label, self.state(item, now)
        words = self.label_of(state)
        fitting = [p for p in permits if state in p.states]
        if not fitting:
            return ValidationError(_refused_in(permits, state)
                                   or f"当前状态为“{words}”，不能{label}", "status")
        permitted = [p for p in fitting if p.who(actor, item)]
        if not permitted:
            who = "、".join(dict.fromkeys(p.who.label for p in fitting))
            return ForbiddenError(f"当前状态为“{words}”，只有{who}可以{label}")
        reason = None
        for permit in permitted:
            for guard in permit.guards:
                reason = guard(item, actor, now)
                if reason:
                    break
            else:
                return None
        return ValidationError(f"当前状态为“{words}”，不能{label}：{reason}")

    def permits(self, item, action: str, actor, now) -> bool:
        """Whether `actor` may take `action` (or fire the event `action`) on `item` now."""
        return self.refusal(item, action, actor, now) is None

    def state_allows(self, item, action: str, now=None) -> bool:
        """Whether `item`'s state is one where `action` (or the event `action`) is taken at
        all, asking neither who nor the guards: what a page draws by state (the progress
        of a file still checked, the 正式导入 form of a preview) and a worker's own test."""
        if action in self.permissions:
            states = self.states_for(action)
        elif action in self.events:
            states = frozenset().union(*(t.sources for t in self.events[action]))
        else:
            raise ValueError(f"{self.name} declares no action {action!r}")
        return self.state(item, now) in states

    def reached(self, item, event: str, now=None) -> bool:
        """Whether `item` is in the state the event `event` leads to (已导入 after commit)."""
        if event not in self.events:
            raise ValueError(f"{self.name} has no event {event!r}")
        return self.state(item, now) in {t.target for t in self.events[event]}

    def require(self, item, action: str, actor, now) -> None:
        """Raise the reason `actor` may not take `action` on `item` now."""
        error = self.refusal(item, action, actor, now)
        if error is not None:
            raise error

    def actions(self, item, actor, now) -> set[str]:
        """The non-transition actions `actor` may take on `item` now (for buttons)."""
        return {action for action in self.permissions if self.permits(item, action, actor, now)}

    # --- reading -------------------------------------------------------------------------
    def state(self, item, now=None) -> str:
        if self.derived is not None:
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
        words = self.label_of(state)
        if expected_version is not None and getattr(item, "version", None) not in (
                None, expected_version):
            raise AlreadyDecided(f"该记录已被他人处理（当前状态：{words}），请刷新页面后再{label}")
        fitting = [t for t in candidates if state in t.sources]
        if not fitting:
            raise ValidationError(_refused_in(candidates, state)
                                  or f"当前状态为“{words}”，不能{label}")
        permitted = [t for t in fitting if t.who(actor, item)]
        if not permitted:
            who = "、".join(dict.fromkeys(t.who.label for t in fitting))
            raise ForbiddenError(f"当前状态为“{words}”，只有{who}可以{label}")
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
            raise ValidationError(f"当前状态为“{words}”，不能{label}：{reason}")
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
        hook = self._after.get(event)
        if hook is not None:
            hook.send(item, actor, now)
        return transition

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


def _refused_in(declared, state) -> str | None:
    """The refusal's own words for `state` among transitions or permits (T/P.refused)."""
    for entry in declared:
        if entry.refused and state in entry.refused:
            return entry.refused[state]
    return None


def machine_for(model) -> Machine | None:
    for machine in MACHINES.values():
        if machine.model is model:
            return machine
    return None
