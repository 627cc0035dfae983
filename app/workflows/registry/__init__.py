"""会员管理 registry: firms and persons (rules.py: what their CRUD enforces whichever door
it comes through) and moves of a person between firms (transfers.py)."""
from app.workflows.registry.rules import (  # noqa: F401
    check_firm_deletable, check_person_deletable, clean_firm, clean_person,
    delete_firm_accounts, on_firm_created)
