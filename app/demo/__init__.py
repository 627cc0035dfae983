"""`flask --app run.py demo seed`: demo data for every domain, through the domains' own
workflows, on an empty database. Each domain with demo data has app/demo/<domain>.py with
`seed(now) -> [(role, login, password, note), …]`; they run in the order of app/domains.py.
Each domain's seed is one command (app/workflows/core/commands.py: the workflows it calls
join it; it commits when the domain's data are complete). A domain may also define
`after_seed(now)`: a job's run that owns its transactions (网络学习's daily crediting),
run once its data are saved. Deterministic (fixed seeds) so that README and screenshots
match what users see.
"""
import datetime as dt
import importlib

from app.domains import DOMAINS
from app.workflows.core import commands
from app.workflows.core.scoping import SystemActor

ACTOR = "系统（演示数据）"


def seed(now: dt.datetime) -> list[tuple[str, str, str, str]]:
    rows = []
    actor = SystemActor(ACTOR)  # the audit log's 操作人 of what a seed writes itself
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"app.demo.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"app.demo.{name}":
                raise
            continue
        rows += commands.run(actor, now, module.seed, now) or []
        if hasattr(module, "after_seed"):
            module.after_seed(now)
    return rows


def existing_accounts():
    from app.demo.registry import existing_accounts as listed

    return listed()
