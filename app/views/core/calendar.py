"""A calendar file download (issue 27 §6): text/calendar, attachment, UTF-8 name."""
from urllib.parse import quote

from flask import Response

from app.views.core.scoping import now
from app.workflows.core.calendar import CalendarEvent, ics


def send_ics(event: CalendarEvent, filename: str) -> Response:
    method = "CANCEL" if event.cancelled else "PUBLISH"
    response = Response(ics(event, now()), mimetype="text/calendar")
    response.headers["Content-Type"] = f"text/calendar; charset=utf-8; method={method}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"event.ics\"; filename*=UTF-8''{quote(filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
