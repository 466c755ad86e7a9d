"""Reminder rules: when they fall due (before each session), and whether one found due may
still be sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.contracts import EventState


@dataclass(frozen=True)
class Reminder:
    """A reminder to send before a session (the event's id stands for an event without
    sessions): pending -> queued, or dropped / cancelled."""

    id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    offset_seconds: int
    due_at: datetime
    state: str


Decision = Literal["send", "late", "not_wanted"]


@dataclass(frozen=True)
class Due:
    session_id: uuid.UUID
    offset: timedelta
    due_at: datetime


def sessions(event: EventState) -> list[tuple[uuid.UUID, datetime, datetime]]:
    """Each session in time order; an event without sessions is one, under its own id."""
    if not event.sessions:
        return [(event.event_id, event.starts_at, event.ends_at)]
    ordered = sorted(event.sessions, key=lambda s: s.starts_at)
    return [(s.session_id, s.starts_at, s.ends_at) for s in ordered]


def session_start(event: EventState, session_id: uuid.UUID) -> datetime | None:
    """When a reminder's session starts; None once the session is gone from the event."""
    return next((start for sid, start, _ in sessions(event) if sid == session_id), None)


def due_times(event: EventState, offsets: Iterable[timedelta], now: datetime) -> list[Due]:
    """The reminders a booking made now should get: one per offset before each session,
    whose moment is still ahead. A later session's reminder that would fall before the
    previous session has ended is left out: the person is at the event (day two of a
    two-day launch needs no reminder on day one; an immersion day three weeks on does)."""
    wanted = list(offsets)
    due: list[Due] = []
    previous_end: datetime | None = None
    for session_id, start, end in sessions(event):
        for offset in wanted:
            at = start - offset
            if at > now and (previous_end is None or at >= previous_end):
                due.append(Due(session_id, offset, at))
        previous_end = end
    return due


def decide(
    *,
    due_at: datetime,
    now: datetime,
    grace: timedelta,
    booking_status: str | None,
    event_status: str | None,
    event_start: datetime | None,
) -> Decision:
    """Never for a cancelled (or unknown) booking or event, or a session no longer in it;
    never late: a reminder whose moment passed more than `grace` ago (the service was down)
    is dropped, and none is sent once its session has begun (`event_start`)."""
    if booking_status != "confirmed" or event_status != "published" or event_start is None:
        return "not_wanted"
    if now - due_at > grace or now >= event_start:
        return "late"
    return "send"
