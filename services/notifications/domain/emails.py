"""Email rules: which emails exist, their deduplication keys, safe headers, readable times."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

# The invite's SEQUENCE rule is shared with bookings' calendar download.
from shared.calendar_invites import calendar_sequence as calendar_sequence

# Times read the same in emails and on bookings' public pages.
from shared.event_times import format_when as format_when

SUBJECTS = {
    "confirmation": "Your place is confirmed: {title}",
    "waitlisted": "You are on the waiting list: {title}",
    "promoted": "A place came up, you are confirmed: {title}",
    "changed": "Your booking has changed: {title}",
    "cancelled": "Your booking is cancelled: {title}",
    "event_cancelled": "Cancelled: {title}",
    "event_changed": "New details for {title}",
    "reminder": "Reminder: {title} {relative}",
    "manage_link": "Your booking link: {title}",
}

# Emails that carry a calendar invite, and with which iTIP method.
CALENDAR_METHOD = {
    "confirmation": "REQUEST",
    "promoted": "REQUEST",
    "changed": "REQUEST",
    "event_changed": "REQUEST",
    "cancelled": "CANCEL",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_header(text: str, *, limit: int = 200) -> str:
    """No line breaks or control characters in a header: nothing can be injected through a
    name or a title."""
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


def email_key(email: str) -> str:
    """Addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def subject(kind: str, *, title: str, relative: str = "") -> str:
    return clean_header(SUBJECTS[kind].format(title=title, relative=relative))


def dedupe_key(booking_id: uuid.UUID, kind: str, version: int) -> str:
    """One email of a kind per version of a booking: redeliveries and races collapse onto it."""
    return f"booking:{booking_id}:{kind}:v{version}"


def event_change_key(booking_id: uuid.UUID, event_version: int) -> str:
    """One "new details" email per booking per version of the event."""
    return f"booking:{booking_id}:event_changed:e{event_version}"


def reminder_key(
    booking_id: uuid.UUID, offset: timedelta, session_id: uuid.UUID | None = None
) -> str:
    """One reminder per booking per session per offset, ever: a rescheduled event does not
    repeat it. An event without sessions (`session_id` None) keeps the key it always had."""
    seconds = int(offset.total_seconds())
    if session_id is None:
        return f"booking:{booking_id}:reminder:{seconds}s"
    return f"booking:{booking_id}:reminder:{session_id}:{seconds}s"


def campaign_key(campaign_id: uuid.UUID, email: str) -> str:
    return f"campaign:{campaign_id}:{email_key(email)}"


def relative_time(offset: timedelta) -> str:
    """How far ahead a reminder is: `tomorrow`, `in 7 days`, `in 3 hours`."""
    seconds = int(offset.total_seconds())
    if seconds == 86_400:
        return "tomorrow"
    if seconds % 86_400 == 0:
        return f"in {seconds // 86_400} days"
    if seconds >= 3600:
        hours = round(seconds / 3600)
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, round(seconds / 60))
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"
