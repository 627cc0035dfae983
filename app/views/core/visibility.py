"""Show a menu entry or a button only to whom it works for (issue 23, item 8).

The team rule: 「a button is shown only to whom it works for」 — a 其他从业人员 never meets
a 学时申请 menu or a 报名 button that answers 403 or a refusal. One mechanism for both:

    only_for("我的学时申请", rules.may_file)          # a menu entry (or category), by its name
    only_for("training.enroll_self", enrollment.may_enroll_self)   # a button, by a name

A menu entry declared so is hidden from the navbar unless the test passes (FAB's
`is_menu_visible` filter, which checks the permission, is wrapped); a template asks
`shown("training.enroll_self")` before drawing the button. The test is the workflow's own
rule (actor -> bool), the same one the command enforces, so the page and the refusal never
disagree. Answers are remembered for the request.
"""
from typing import Callable

from flask import g, has_request_context

from app.views.core.scoping import current_user

_RULES: dict[str, Callable] = {}


def only_for(name: str, test: Callable) -> str:
    """Declare that menu entry / button `name` is shown only when `test(actor)` holds."""
    _RULES[name] = test
    return name


def shown(name: str, actor=None) -> bool:
    """Whether `name` is shown to `actor` (default: the signed-in user); undeclared: yes."""
    test = _RULES.get(name)
    if test is None:
        return True
    actor = actor if actor is not None else current_user()
    if actor is None:
        return False
    if not has_request_context():
        return bool(test(actor))
    cache = g.__dict__.setdefault("_shown", {})
    key = (name, getattr(actor, "id", None))
    if key not in cache:
        cache[key] = bool(test(actor))
    return cache[key]


def install(app) -> None:
    """Wrap FAB's menu filter and give templates `shown(name)`."""
    permitted = app.jinja_env.filters["is_menu_visible"]

    def is_menu_visible(item):
        return permitted(item) and shown(item.name)

    app.jinja_env.filters["is_menu_visible"] = is_menu_visible
    app.jinja_env.filters["is_menu_permitted"] = permitted  # FAB's permission check alone
    app.jinja_env.globals["shown"] = shown
