"""Reminder rules: when they fall due, and whether one found due may still be sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class Reminder:
    """A reminder to send before an event: pending -> queued, or dropped / cancelled."""

    id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    offset_seconds: int
    due_at: datetime
    state: str


Decision = Literal["send", "late", "not_wanted"]


def due_times(
    event_start: datetime, offsets: Iterable[timedelta], now: datetime
) -> list[tuple[timedelta, datetime]]:
    """The reminders a booking made now should get: those whose moment is still ahead."""
    return [(offset, event_start - offset) for offset in offsets if event_start - offset > now]


def decide(
    *,
    due_at: datetime,
    now: datetime,
    grace: timedelta,
    booking_status: str | None,
    event_status: str | None,
    event_start: datetime | None,
) -> Decision:
    """Never for a cancelled (or unknown) booking or event; never late: a reminder whose
    moment passed more than `grace` ago (the service was down) is dropped, and none is sent
    once the event has begun."""
    if booking_status != "confirmed" or event_status != "published" or event_start is None:
        return "not_wanted"
    if now - due_at > grace or now >= event_start:
        return "late"
    return "send"
