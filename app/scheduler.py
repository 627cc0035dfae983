"""In-process APScheduler for the embedded default (`make run`).

The job registry, the database lease that keeps one runner among several workers,
and the run log arrive with the message-centre issue; until then the scheduler
runs with no jobs registered.
"""
import logging

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


def start_scheduler(app) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=app.config.get("TIMEZONE", "Asia/Shanghai"))
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler
