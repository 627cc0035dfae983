"""`flask --app run.py demo seed`: demo data for every domain, through the domains' own
workflows, on an empty database. Each domain with demo data has app/demo/<domain>.py with
`seed(now) -> [(role, login, password, note), …]`; they run in the order of app/domains.py.
A seed calls workflows as the CLI does (each command, bulk decision and job owns its
transactions) and saves the fixtures it writes itself with `commands.save` — never a
commit of its own. Deterministic (fixed seeds) so that README and screenshots match what
users see.
"""
import datetime as dt
import importlib

from app.domains import DOMAINS
from app.workflows.core import audit, commands
from app.workflows.core.scoping import SystemActor

ACTOR = "系统（演示数据）"


def seed(now: dt.datetime) -> list[tuple[str, str, str, str]]:
    rows = []
    actor = SystemActor(ACTOR)
    with audit.acting_as(ACTOR):
        for name in DOMAINS:
            try:
                module = importlib.import_module(f"app.demo.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"app.demo.{name}":
                    raise
                continue
            rows += module.seed(now) or []
            commands.save(actor, now)  # what the domain's seed wrote itself
    return rows


def existing_accounts():
    from app.demo.registry import existing_accounts as listed

    return listed()
