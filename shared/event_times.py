"""An event's times as people read them, always in the event's own time zone: the emails
(notifications) and the public programme pages (bookings) say the same thing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def format_when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """`Tuesday 12 May 2027, 09:30–16:30 (BST)` in the event's own time zone."""
    tz = ZoneInfo(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({start:%Z})"
    return f"{day} {start:%H:%M} to {end:%A} {end.day} {end:%B %Y} {end:%H:%M} ({end:%Z})"
