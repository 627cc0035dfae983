"""Hooks: a module announces what happened; others subscribe, declared by their domain.

    SEAT_FREED = Hook("training.seat_freed")          # in the module where it happens
    SEAT_FREED.send(klass, actor, now)                # when it happens

    DOMAIN = Domain(..., hooks=[(seats.SEAT_FREED, waitlist.offer_freed_seat)])

A machine's `after(event)` is such a hook, sent after the transition is made (in the same
transaction, so a subscriber's refusal undoes the step). Subscriptions are made by the app
factory from each Domain's declaration — never by importing a module — so a module that
announces never imports its listeners, and each domain's modules form a tree.
"""
from typing import Callable

HOOKS: dict[str, "Hook"] = {}


class Hook:
    def __init__(self, name: str):
        self.name = name
        self.subscribers: list[Callable] = []
        HOOKS[name] = self

    def connect(self, subscriber: Callable) -> Callable:
        """Subscribe (once: connecting the same function again changes nothing)."""
        if subscriber not in self.subscribers:
            self.subscribers.append(subscriber)
        return subscriber

    def send(self, *args, **kwargs) -> None:
        for subscriber in list(self.subscribers):
            subscriber(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self.subscribers)} subscribers)"


def connect_all(pairs) -> None:
    """The factory's one place of subscription: [(hook, subscriber), …] from the domains."""
    for hook, subscriber in pairs:
        if not isinstance(hook, Hook):
            raise TypeError(f"{hook!r} is not a Hook")
        hook.connect(subscriber)
