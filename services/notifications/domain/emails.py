"""Email rules: which emails exist, their deduplication keys, safe headers, readable times."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

SUBJECTS = {
    "confirmation": "Your place is confirmed: {title}",
    "waitlisted": "You are on the waiting list: {title}",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(text: str, *, limit: int = 200) -> str:
    """No line breaks or control characters in a header: nothing can be injected through a
    name or a title."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def subject(kind: str, *, title: str) -> str:
    return clean_header(SUBJECTS[kind].format(title=title))


def dedupe_key(booking_id: uuid.UUID, kind: str, version: int) -> str:
    """One email of a kind per version of a booking: redeliveries and races collapse onto it."""
    return f"booking:{booking_id}:{kind}:v{version}"


def format_when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """`Tuesday 12 May 2027, 09:30–16:30 (BST)` in the event's own time zone."""
    tz = ZoneInfo(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({start:%Z})"
    return f"{day} {start:%H:%M} to {end:%A} {end.day} {end:%B %Y} {end:%H:%M} ({end:%Z})"
