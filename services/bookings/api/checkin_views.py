"""From the door's use cases to its answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.bookings.api.checkin_schemas import (
    DoorAttendee,
    DoorCounts,
    DoorEvent,
    DoorSession,
    OptionTally,
    TokenPerson,
    TokenSession,
)
from services.bookings.domain.bookings import Booking
from services.bookings.domain.checkin import Session
from services.bookings.persistence.checkin import Mark
from services.bookings.usecases.checkin import Counts, Resolved
from shared.contracts import EventState


def option_names(state: EventState) -> dict[uuid.UUID, str]:
    return {o.option_id: o.name for o in state.options}


def _chosen(state: EventState, booking: Booking) -> str | None:
    """Every option the booking holds (one per group), for the door's list."""
    names = option_names(state)
    chosen = [names[o] for o in booking.option_ids if o in names]
    return "; ".join(chosen) or None


def session(s: Session) -> DoorSession:
    return DoorSession(
        session_id=s.session_id, title=s.title, starts_at=s.starts_at, ends_at=s.ends_at
    )


def event(state: EventState, sessions: list[Session]) -> DoorEvent:
    return DoorEvent(
        event_id=state.event_id,
        title=state.title,
        timezone=state.timezone,
        venue=state.venue.name if state.venue else None,
        sessions=[session(s) for s in sessions],
    )


def attendee(state: EventState, booking: Booking, mark: Mark | None) -> DoorAttendee:
    attended = mark is not None and mark.status == "attended"
    return DoorAttendee(
        booking_id=booking.id,
        name=booking.name,
        organisation=booking.details.organisation,
        option_id=booking.option_ids[0] if booking.option_ids else None,
        option_name=_chosen(state, booking),
        checked_in_at=mark.marked_at if mark and attended else None,
        checked_in_by=mark.marked_by if mark and attended else None,
        no_show=mark is not None and mark.status == "no_show",
    )


def counts(found: Counts) -> DoorCounts:
    names = option_names(found.door.state)
    tallies = []
    for option_id, name in names.items():
        checked, expected = found.per_option.get(option_id, (0, 0))
        tallies.append(
            OptionTally(option_id=option_id, name=name, checked_in=checked, expected=expected)
        )
    if None in found.per_option:
        checked, expected = found.per_option[None]
        tallies.append(
            OptionTally(option_id=None, name="No option", checked_in=checked, expected=expected)
        )
    return DoorCounts(
        event_id=found.door.state.event_id,
        session_id=found.door.session.session_id,
        checked_in=found.checked_in,
        expected=found.expected,
        options=tallies,
    )


def token_person(found: Resolved) -> TokenPerson:
    b = found.booking

    def checked_at(session_id: uuid.UUID) -> datetime | None:
        mark = found.marks.get(session_id)
        return mark.marked_at if mark and mark.status == "attended" else None

    return TokenPerson(
        booking_id=b.id,
        event_id=b.event_id,
        event_title=found.state.title,
        status=b.status,  # type: ignore[arg-type]
        name=b.name,
        organisation=b.details.organisation,
        option_name=_chosen(found.state, b),
        sessions_today=[
            TokenSession(
                session_id=s.session_id,
                title=s.title,
                starts_at=s.starts_at,
                checked_in_at=checked_at(s.session_id),
            )
            for s in found.sessions_today
        ],
    )
