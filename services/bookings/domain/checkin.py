"""Door check-in rules (no I/O): which sessions run today, and who may be checked in to one.

A session's "day" is read in the event's own time zone, so a 9:00 start in London is today in
London whatever the server's clock says. An event without sessions is one session, its own id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.bookings.domain.bookings import Booking
from shared.contracts import EventState
from shared.errors import Conflict, NotFound


@dataclass(frozen=True)
class Session:
    session_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class DoorWindow:
    """How many days before and after its own day a session takes check-ins."""

    early: int = 0
    late: int = 0


def zone(state: EventState) -> ZoneInfo:
    try:
        return ZoneInfo(state.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def sessions_of(state: EventState) -> list[Session]:
    if not state.sessions:
        return [Session(state.event_id, state.title, state.starts_at, state.ends_at)]
    return [
        Session(s.session_id, s.title or s.starts_at.date().isoformat(), s.starts_at, s.ends_at)
        for s in sorted(state.sessions, key=lambda s: s.starts_at)
    ]


def session_of(state: EventState, session_id: uuid.UUID) -> Session:
    for session in sessions_of(state):
        if session.session_id == session_id:
            return session
    raise NotFound("this event has no such session", code="session_not_found")


def _days(session: Session, tz: ZoneInfo) -> tuple[date, date]:
    first = session.starts_at.astimezone(tz).date()
    return first, max(first, session.ends_at.astimezone(tz).date())


def runs_on(session: Session, tz: ZoneInfo, now: datetime, window: DoorWindow) -> bool:
    first, last = _days(session, tz)
    today = now.astimezone(tz).date()
    return first - timedelta(days=window.early) <= today <= last + timedelta(days=window.late)


def today_sessions(state: EventState, now: datetime, window: DoorWindow) -> list[Session]:
    tz = zone(state)
    return [s for s in sessions_of(state) if runs_on(s, tz, now, window)]


def require_door_open(
    state: EventState, session: Session, now: datetime, window: DoorWindow
) -> None:
    """Check-in happens on the session's day: before it nobody has arrived, after it the
    register is corrected through the attendance route, not at the door."""
    if state.status == "cancelled":
        raise Conflict("this event is cancelled", code="event_cancelled")
    tz = zone(state)
    if runs_on(session, tz, now, window):
        return
    first, _ = _days(session, tz)
    if now.astimezone(tz).date() < first:
        raise Conflict(
            f"check-in for this session opens on its day, {first.isoformat()}", code="not_today"
        )
    raise Conflict(
        f"this session was on {first.isoformat()}: correct the register on the attendees page",
        code="session_over",
    )


def require_checkable(booking: Booking, event_id: uuid.UUID) -> None:
    """Only a confirmed booking of this very event is checked in."""
    if booking.event_id != event_id:
        raise Conflict("this booking is for another event", code="other_event")
    if booking.status == "cancelled":
        raise Conflict("this booking was cancelled", code="booking_cancelled")
    if booking.status != "confirmed":
        raise Conflict("this person is on the waiting list, not booked", code="not_confirmed")
