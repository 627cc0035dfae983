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


DISPLAY_FORMAT = "%Y-%m-%d %H:%M:%S"


def display(value, fmt: str = DISPLAY_FORMAT) -> str:
    """The one way a time is shown to a user (pages, show pages, exports, mails): Beijing
    time, to the second, `YYYY-MM-DD HH:MM:SS`; a date as `YYYY-MM-DD`; nothing as ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # only FAB's own columns are naive: the server's local time
            return value.astimezone(LOCAL_TZ).strftime(fmt)
        return to_local(value).strftime(fmt)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def local_today(moment: dt.datetime) -> dt.date:
    return to_local(moment).date()
