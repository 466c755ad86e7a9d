"""What staff do with an event's bookings besides cancelling and promoting (see manage)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.bookings.domain import checkin as checkin_rules
from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking
from services.bookings.domain.capacity import Places
from services.bookings.persistence import bookings as store
from services.bookings.persistence import checkin as checkin_store
from services.bookings.persistence import replica, staff
from services.bookings.persistence.staff import Filters
from services.bookings.settings import BookingsSettings
from shared.contracts import AttendanceMarked, EventState
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True)
class Listed:
    facts: EventFacts
    places: Places
    sessions: dict[uuid.UUID, str]
    bookings: list[Booking]
    positions: dict[uuid.UUID, int]
    attendance: dict[uuid.UUID, dict[uuid.UUID, str]]
    # Sessions already over: a confirmed booking not marked attended for one was a no-show.
    ended: frozenset[uuid.UUID] = frozenset()


def _ended(state: dict[str, object], now: datetime) -> frozenset[uuid.UUID]:
    event = EventState.model_validate(state)
    return frozenset(s.session_id for s in checkin_rules.sessions_of(event) if s.ends_at <= now)


def _sessions(state: dict[str, object], event_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Sessions attendance is marked against; an event without any is one session, its own id."""
    event = EventState.model_validate(state)
    if not event.sessions:
        return {event_id: "event"}
    return {s.session_id: s.title or s.starts_at.date().isoformat() for s in event.sessions}


async def listing(db: Database, event_id: uuid.UUID, filters: Filters) -> Listed:
    async with db.unit_of_work() as uow:
        facts, places = await replica.load(uow, event_id)
        state, _ = await replica.public_state(uow, event_id)
        found = await staff.search(uow, event_id, filters)
        positions = await staff.waiting_positions(uow, event_id)
        marks = await staff.attendance_of(uow, [b.id for b in found])
    ended = _ended(state, datetime.now(UTC))
    return Listed(facts, places, _sessions(state, event_id), found, positions, marks, ended)


@dataclass(frozen=True)
class Summary:
    places: Places
    counts: dict[tuple[str, uuid.UUID | None], int]
    sessions: dict[uuid.UUID, str]
    attendance: dict[tuple[uuid.UUID, str], int]
    attended: int
    auto_promotion: bool


async def summary(db: Database, settings: BookingsSettings, event_id: uuid.UUID) -> Summary:
    async with db.unit_of_work() as uow:
        facts, places = await replica.load(uow, event_id)
        state, _ = await replica.public_state(uow, event_id)
        counts = await staff.status_counts(uow, event_id)
        marks = await staff.attendance_counts(uow, event_id)
        attended = await staff.attended_bookings(uow, event_id)
    auto = facts.auto_promotion(datetime.now(UTC), timedelta(hours=settings.promotion_cutoff_hours))
    return Summary(places, counts, _sessions(state, event_id), marks, attended, auto)


async def mark_attendance(
    db: Database, booking_id: uuid.UUID, *, session_id: uuid.UUID | None, status: str, by: str
) -> Booking:
    async with db.unit_of_work() as uow:
        booking = await store.get(uow, booking_id)
        if booking is None:
            raise NotFound("no such booking", code="booking_not_found")
        if booking.status != "confirmed":
            raise Conflict("only confirmed bookings attend", code="not_confirmed")
        state, _ = await replica.public_state(uow, booking.event_id)
        sessions = _sessions(state, booking.event_id)
        session = session_id
        if session is None:
            if len(sessions) != 1:
                raise Invalid("session_id", "this event has several sessions: say which one")
            session = next(iter(sessions))
        elif session not in sessions:
            raise Invalid("session_id", "not a session of this event")
        previous = await checkin_store.mark_of(uow, booking_id, session)
        await staff.mark_attendance(uow, booking_id, session, status, by)
        if previous is None or previous.status != status:
            uow.emit(
                "bookings.attendance.marked",
                AttendanceMarked(
                    booking_id=booking_id,
                    event_id=booking.event_id,
                    session_id=session,
                    status=status,  # type: ignore[arg-type]
                    previous_status=previous.status if previous else None,  # type: ignore[arg-type]
                    marked_by=by,
                    occurred_at=datetime.now(UTC),
                ),
            )
        await uow.commit()
    return booking
