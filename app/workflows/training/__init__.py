"""CPA专题培训 workflows, a tree from the bottom up: the enrollment's states (states.py);
seats under load and the seats the waiting list holds (seats.py); the catalogue and handouts
(classes.py); the calendar file (calendar.py); enrollment (enrollment.py); review and
results crediting hours (review.py); the results import (results_import.py), exports
(exports.py), the waiting list (waitlist.py) and the reminders (reminders.py). Lower modules
announce (seats.SEAT_FREED, seats.OFFER_TAKEN, classes.CREDIT_CHANGED); upper ones subscribe,
as the training DOMAIN declares (app/views/training/__init__.py)."""
from app.workflows.training import states, seats, classes, enrollment, review  # noqa: F401
from app.workflows.training import waitlist  # noqa: F401
from app.workflows.training import exports, results_import, reminders  # noqa: F401
