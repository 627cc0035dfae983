"""Scheduled jobs: the lease that says who runs the schedule, and the run log.
"""
import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.scope import Scope
from app.models.types import UTCDateTime


class JobLease(Model):
    """Who runs the schedule: one row per lease, renewed by its holder, taken over when expired."""

    __tablename__ = "job_lease"
    __scope__ = Scope.institute_only()

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)


class JobRun(Model):
    """One run of a scheduled job: when, as of which date, outcome, counts, error."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)
    __scope__ = Scope.institute_only()

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), nullable=False)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)  # schedule | cli | catch-up
    as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[Optional[str]] = mapped_column(String(8))  # 成功 | 失败
    counts: Mapped[Optional[str]] = mapped_column(Text)  # JSON
    error: Mapped[Optional[str]] = mapped_column(Text)
    host: Mapped[Optional[str]] = mapped_column(String(128))


class JobState(Model):
    """What the run log does not keep of a job: its last run that found nothing to do.

    A scheduled run whose counts are all zero is not a row of the run log (deliver_outbox
    runs every 30 s: 180 empty rows in 1.5 h); its time is kept here instead, and the
    schedule counts it as the job's last run.
    """

    __tablename__ = "job_state"
    __scope__ = Scope.institute_only()

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_idle_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # its as-of time
    idle_runs: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)
