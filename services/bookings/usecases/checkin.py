"""Door check-in: today's sessions, a session's register and counts, checking in and undoing
(each idempotent by booking and session), and the person behind a check-in token.

A repeat (a phone replaying its offline queue, two phones tapping the same person) finds the
mark already there and writes nothing: no second message, no second audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from services.bookings.domain import checkin as rules
from services.bookings.domain.bookings import Booking
from services.bookings.domain.checkin import DoorWindow, Session
from services.bookings.domain.tokens import booking_id_from_checkin_token
from services.bookings.persistence import checkin as store
from services.bookings.persistence.checkin import Mark
from services.bookings.settings import BookingsSettings
from shared.contracts import AttendanceMarked, EventState
from shared.db import Database, UnitOfWork
from shared.errors import NotFound
from shared.logging import get_logger
from shared.staff_actions import describe_staff_action

log = get_logger(__name__)
Result = Literal["checked_in", "already_checked_in", "undone", "was_not_checked_in"]


def window(settings: BookingsSettings) -> DoorWindow:
    return DoorWindow(early=settings.checkin_days_early, late=settings.checkin_days_late)


@dataclass(frozen=True)
class Door:
    state: EventState
    session: Session


@dataclass(frozen=True)
class Register:
    door: Door
    rows: list[tuple[Booking, Mark | None]]


@dataclass(frozen=True)
class Counts:
    door: Door
    per_option: dict[uuid.UUID | None, tuple[int, int]]

    @property
    def checked_in(self) -> int:
        return sum(n for n, _ in self.per_option.values())

    @property
    def expected(self) -> int:
        return sum(n for _, n in self.per_option.values())


@dataclass(frozen=True)
class Outcome:
    result: Result
    booking: Booking
    mark: Mark | None
    counts: Counts


async def _state(uow: UnitOfWork, event_id: uuid.UUID) -> EventState:
    state = await store.event_state(uow, event_id)
    if state is None:
        raise NotFound("no such event", code="event_not_found")
    return EventState.model_validate(state)


async def _door(uow: UnitOfWork, event_id: uuid.UUID, session_id: uuid.UUID) -> Door:
    state = await _state(uow, event_id)
    return Door(state, rules.session_of(state, session_id))


async def today(
    db: Database, settings: BookingsSettings, now: datetime
) -> list[tuple[EventState, list[Session]]]:
    """Events with a session the door is open for now (a wide net, then each event's own
    time zone decides)."""
    margin = timedelta(days=2 + max(settings.checkin_days_early, settings.checkin_days_late))
    async with db.unit_of_work() as uow:
        states = await store.events_around(uow, now - margin, now + margin)
    found = []
    for raw in states:
        state = EventState.model_validate(raw)
        sessions = rules.today_sessions(state, now, window(settings))
        if sessions:
            found.append((state, sessions))
    return found


async def register(
    db: Database,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    search: str | None,
    limit: int,
) -> Register:
    async with db.unit_of_work() as uow:
        door = await _door(uow, event_id, session_id)
        rows = await store.register(uow, event_id, session_id, search=search, limit=limit)
    return Register(door, rows)


async def require_open(
    db: Database,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    now: datetime,
) -> None:
    """Refuse a walk-in before booking anyone when the door is not open for the session."""
    async with db.unit_of_work() as uow:
        door = await _door(uow, event_id, session_id)
    rules.require_door_open(door.state, door.session, now, window(settings))


async def _counts(uow: UnitOfWork, door: Door) -> Counts:
    per_option = await store.option_counts(uow, door.state.event_id, door.session.session_id)
    return Counts(door, per_option)


async def counts(db: Database, event_id: uuid.UUID, session_id: uuid.UUID) -> Counts:
    async with db.unit_of_work() as uow:
        return await _counts(uow, await _door(uow, event_id, session_id))


def _message(
    booking: Booking, session_id: uuid.UUID, mark: Mark | None, previous: str | None, by: str
) -> AttendanceMarked:
    return AttendanceMarked(
        booking_id=booking.id,
        event_id=booking.event_id,
        session_id=session_id,
        status=mark.status if mark else None,  # type: ignore[arg-type]
        previous_status=previous,  # type: ignore[arg-type]
        marked_by=by,
        occurred_at=mark.marked_at if mark else datetime.now().astimezone(),
    )


async def _at_the_door(
    uow: UnitOfWork,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    booking_id: uuid.UUID,
    now: datetime,
    *,
    confirmed_only: bool,
) -> tuple[Door, Booking, Mark | None]:
    """What check-in and its undo both need: an open door, a booking of this event, its mark."""
    door = await _door(uow, event_id, session_id)
    rules.require_door_open(door.state, door.session, now, window(settings))
    booking = await store.booking_for_checkin(uow, booking_id)
    if booking is None:
        raise NotFound("no such booking", code="booking_not_found")
    # Undo checks only the event: a check-in made before a cancellation can still be undone.
    if confirmed_only or booking.event_id != door.state.event_id:
        rules.require_checkable(booking, door.state.event_id)
    return door, booking, await store.mark_of(uow, booking_id, session_id)


async def check_in(
    db: Database,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    by: str,
    now: datetime,
) -> Outcome:
    describe_staff_action(action="attendance.marked", target_type="booking", target_id=booking_id)
    async with db.unit_of_work() as uow:
        door, booking, existing = await _at_the_door(
            uow, settings, event_id, session_id, booking_id, now, confirmed_only=True
        )
        if existing is None:
            mark = await store.insert_mark(uow, booking_id, session_id, "attended", by)
        elif existing.status != "attended":
            mark = await store.update_mark(uow, booking_id, session_id, "attended", by)
        else:
            mark = None
        if mark is None:  # already in (or another phone got there first): change nothing
            already = existing or await store.mark_of(uow, booking_id, session_id)
            return Outcome("already_checked_in", booking, already, await _counts(uow, door))
        previous = existing.status if existing else None
        uow.emit("bookings.attendance.marked", _message(booking, session_id, mark, previous, by))
        await uow.commit()
        outcome = Outcome("checked_in", booking, mark, await _counts(uow, door))
    log.info("attendance.checked_in", booking_id=str(booking_id), event_id=str(event_id))
    return outcome


async def undo(
    db: Database,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    booking_id: uuid.UUID,
    *,
    by: str,
    now: datetime,
) -> Outcome:
    """Undo a check-in at the door (a wrong tap). A no-show mark is left alone."""
    describe_staff_action(action="attendance.unmarked", target_type="booking", target_id=booking_id)
    async with db.unit_of_work() as uow:
        door, booking, existing = await _at_the_door(
            uow, settings, event_id, session_id, booking_id, now, confirmed_only=False
        )
        if existing is None or existing.status != "attended":
            return Outcome("was_not_checked_in", booking, existing, await _counts(uow, door))
        await store.delete_mark(uow, booking_id, session_id)
        uow.emit(
            "bookings.attendance.unmarked", _message(booking, session_id, None, "attended", by)
        )
        await uow.commit()
        outcome = Outcome("undone", booking, None, await _counts(uow, door))
    log.info("attendance.check_in_undone", booking_id=str(booking_id), event_id=str(event_id))
    return outcome


@dataclass(frozen=True)
class Resolved:
    booking: Booking
    state: EventState
    sessions_today: list[Session]
    marks: dict[uuid.UUID, Mark]


async def resolve(
    db: Database, settings: BookingsSettings, token: str, *, now: datetime
) -> Resolved:
    """The person behind a check-in token (staff only: the route requires a door role)."""
    key = settings.manage_token_key.get_secret_value().encode()
    booking_id = booking_id_from_checkin_token(key, token)
    if booking_id is None:
        raise NotFound("no booking has this check-in code", code="token_not_found")
    async with db.unit_of_work() as uow:
        booking = await store.booking_for_checkin(uow, booking_id)
        if booking is None:
            raise NotFound("no booking has this check-in code", code="token_not_found")
        state = await _state(uow, booking.event_id)
        marks = await store.marks_of(uow, booking_id)
    return Resolved(booking, state, rules.today_sessions(state, now, window(settings)), marks)
