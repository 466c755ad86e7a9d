"""schema.org `Event` JSON-LD for the public programme pages, so search engines can list the
events. The JSON goes inside a <script> element, where HTML escaping does not apply: a title
holding `</script>` must not end the element, so `<`, `>` and `&` (and the two JavaScript
line separators) are written as \\u escapes, which JSON parsers read back unchanged."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.bookings.api.schemas import EventAvailability

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_AVAILABILITY = {
    "open": "https://schema.org/InStock",
    "waitlist": "https://schema.org/SoldOut",
    "full": "https://schema.org/SoldOut",
    "not_open_yet": "https://schema.org/PreOrder",
}


def script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def _local(moment: datetime, timezone: str) -> str:
    """ISO 8601 with the event's own offset, as schema.org recommends."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat()


def event_ld(event: EventAvailability, *, url: str, organiser: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.summary or event.description,
        "startDate": _local(event.starts_at, event.timezone),
        "endDate": _local(event.ends_at, event.timezone),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": url,
        "organizer": {"@type": "Organization", "name": organiser},
        "isAccessibleForFree": True,
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "GBP",
            "url": url,
            "availability": _AVAILABILITY.get(event.booking_state, "https://schema.org/SoldOut"),
        },
    }
    if event.venue:
        data["location"] = {
            "@type": "Place",
            "name": event.venue.name,
            "address": event.venue.address or event.venue.name,
        }
    if event.people:
        data["performer"] = [{"@type": "Person", "name": p.name} for p in event.people]
    if len(event.sessions) > 1:
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": s.title or event.title,
                "startDate": _local(s.starts_at, event.timezone),
                "endDate": _local(s.ends_at, event.timezone),
            }
            for s in event.sessions
        ]
    return data
