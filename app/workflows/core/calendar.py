"""Calendar files (.ics, RFC 5545) through `icalendar` (issue 27 §6): an appointment or an
enrolled class as one event with its place, its time in Asia/Shanghai (VTIMEZONE included)
and what to bring. A change is the same UID with a higher SEQUENCE; a cancellation is
METHOD:CANCEL with STATUS:CANCELLED, so a phone's calendar updates or removes the entry."""
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from app.workflows.core.institute import identity

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOMAIN = "zhuxie.local"
ORGANIZER = f"noreply@{DOMAIN}"


@dataclasses.dataclass
class CalendarEvent:
    uid: str                       # stable per appointment / enrollment
    summary: str
    start: dt.datetime | dt.date   # local Beijing time (naive or aware) or a whole day
    end: dt.datetime | dt.date
    location: str
    description: str
    sequence: int = 0              # bumped at each change
    cancelled: bool = False
    url: str | None = None


def _local(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value.astimezone(SHANGHAI)
    return value


def _organizer() -> str:
    from flask import current_app, has_app_context

    configured = current_app.config.get("SMTP_FROM") if has_app_context() else None
    return configured or ORGANIZER


def method_of(event: CalendarEvent, sent: bool = False) -> str:
    """CANCEL for a cancelled event; a mailed invitation or update is a REQUEST (RFC 5546),
    a downloaded file a PUBLISH."""
    if event.cancelled:
        return "CANCEL"
    return "REQUEST" if sent else "PUBLISH"


def ics(event: CalendarEvent, now: dt.datetime, sent: bool = False,
        attendee: str | None = None) -> bytes:
    """The event as an .ics file; `sent` for one mailed to `attendee` (the organizer is the
    协会's sending address), which a mail client offers to add, update or remove."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{identity().name}//注协业务管理系统//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method_of(event, sent))
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    if isinstance(event.start, dt.datetime):
        year = event.start.year  # China has kept UTC+8 without summer time since 1992
        calendar.add_component(Timezone.from_tzid(
            "Asia/Shanghai", first_date=dt.date(year - 1, 1, 1), last_date=dt.date(year + 2, 1, 1)))
    item = Event()
    item.add("uid", f"{event.uid}@{DOMAIN}")
    item.add("dtstamp", now.astimezone(dt.timezone.utc))
    item.add("dtstart", _local(event.start))
    item.add("dtend", _local(event.end))
    item.add("summary", event.summary)
    item.add("location", event.location)
    item.add("description", event.description)
    item.add("sequence", event.sequence)
    item.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.url:
        item.add("url", event.url)
    if sent:
        organizer = vCalAddress(f"mailto:{_organizer()}")
        organizer.params["cn"] = vText(identity().name)
        item.add("organizer", organizer)
        if attendee:
            item.add("attendee", vCalAddress(f"mailto:{attendee}"), parameters={
                "role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION" if not event.cancelled
                else "DECLINED"})
    calendar.add_component(item)
    return calendar.to_ical()
