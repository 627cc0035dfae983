"""网络学习 workflows: the rules (rules.py) and the daily crediting job (jobs.py)."""
from app.workflows.learning import jobs, rules  # noqa: F401
