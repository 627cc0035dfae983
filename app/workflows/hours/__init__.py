"""继续教育学时 workflows: the ledger (ledger.py) and the yearly rules (rules.py)."""
from app.workflows.hours.ledger import (  # noqa: F401
    add_correction, credit, parse_hours, rebuild_totals, withdraw)
from app.workflows.hours.rules import (  # noqa: F401
    DEFAULTS, Requirement, YearResult, firm_summary, fmt, person_year, requirement_for,
    year_select)
from app.workflows.hours import importing  # noqa: F401,E402  (registers the 历史学时 import)
from app.workflows.hours import certificates, reminders  # noqa: F401,E402  (学时证明, the monthly job)
