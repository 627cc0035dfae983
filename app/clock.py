"""The one place that reads the real clock.

Workflows take `now` as an argument; views and jobs call `now()` here and pass it on,
so a rule can be tested at any date.
"""
import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def to_local(moment: dt.datetime) -> dt.datetime:
    """A stored UTC timestamp shown as Asia/Shanghai local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL_TZ)


def local_today(moment: dt.datetime) -> dt.date:
    return to_local(moment).date()
