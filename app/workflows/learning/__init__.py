"""网络学习 workflows: the rules (rules.py), the institutes and courses staff keep
(catalog.py) and the daily crediting job (jobs.py)."""
from app.workflows.learning import catalog, jobs, rules  # noqa: F401
