"""The business domains, in menu order. The factory loops over this list and nothing else:
adding a domain is one line here plus the domain's own modules (models/<name>.py,
workflows/<name>/, views/<name>.py, templates/<name>/, tests/<name>/, demo/<name>.py).

Each `app/views/<name>.py` declares its `DOMAIN`: the permissions its roles hold, the
models whose changes the audit log records, `register(appbuilder, app)` for its views,
APIs and menus, and optionally `cli(app)` for its commands.
"""
import dataclasses
import importlib
from typing import Callable

DOMAINS = ("registry", "roster", "hours", "inhouse", "training", "registration", "applications",
           "learning", "messages", "help", "accounts", "operations", "channels")


@dataclasses.dataclass(frozen=True)
class Domain:
    name: str
    register: Callable
    # role -> [[view name (regex), permission (regex)], …]; menus as [label, "menu_access"]
    permissions: dict = dataclasses.field(default_factory=dict)
    # model -> columns never written to the audit log
    audited: dict = dataclasses.field(default_factory=dict)
    cli: Callable | None = None
    # [(hook, subscriber), …]: what this domain does when another module announces
    # something (app/workflows/core/hooks.py); connected by the factory, never on import
    hooks: tuple = ()


def load() -> list[Domain]:
    domains = []
    for name in DOMAINS:
        domain = importlib.import_module(f"app.views.{name}").DOMAIN
        if domain.name != name:
            raise RuntimeError(f"app/views/{name}.py declares DOMAIN named {domain.name!r}")
        domains.append(domain)
    return domains
