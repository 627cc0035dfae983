"""CPA专题培训 workflows: the catalogue and handouts (classes.py), seats under load
(seats.py), enrollment (enrollment.py), review and results crediting hours (review.py),
the results import (results_import.py), exports (exports.py), the waiting list
(waitlist.py) and the reminders (reminders.py)."""
from app.workflows.training import classes, seats, enrollment, review, waitlist  # noqa: F401
from app.workflows.training import exports, results_import, reminders  # noqa: F401
