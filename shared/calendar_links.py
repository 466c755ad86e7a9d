""" "Add to calendar" links for Google Calendar and Outlook on the web, one per session (each
service takes a single entry per link).

The links carry only what is public about the event (title, time, place, summary): never the
booker's name, address or manage link, since the address goes to a third party and into its
logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from shared.calendar_invites import location, slots
from shared.contracts import EventState

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"
# Long summaries make long addresses; browsers and the two services cope with a few thousand
# characters, so the text is cut well before that.
_DETAILS_LIMIT = 1000


@dataclass(frozen=True)
class SessionLinks:
    title: str
    starts_at: datetime
    ends_at: datetime
    google: str
    outlook: str


def _details(event: EventState) -> str:
    text = event.summary or ""
    if event.venue and event.venue.accessibility:
        text = f"{text}\n\nAccess: {event.venue.accessibility}".strip()
    return text[:_DETAILS_LIMIT]


def _google(title: str, start: datetime, end: datetime, event: EventState) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    query = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{start.astimezone(UTC):{stamp}}/{end.astimezone(UTC):{stamp}}",
        "ctz": event.timezone,
        "details": _details(event),
        "location": location(event),
    }
    return f"{GOOGLE}?{urlencode(query)}"


def _outlook(title: str, start: datetime, end: datetime, event: EventState) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": start.astimezone(UTC).isoformat(),
        "enddt": end.astimezone(UTC).isoformat(),
        "body": _details(event),
        "location": location(event),
    }
    return f"{OUTLOOK}?{urlencode(query)}"


def session_links(event: EventState) -> list[SessionLinks]:
    return [
        SessionLinks(
            title,
            start,
            end,
            _google(title, start, end, event),
            _outlook(title, start, end, event),
        )
        for _, title, start, end in slots(event)
    ]
