"""Use cases: one small function per command and per consumed message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.bookings.api.schemas import BookingCreate
from services.bookings.domain import bookings as booking_rules
from services.bookings.domain.capacity import Decision, decide
from services.bookings.persistence import bookings as booking_store
from services.bookings.persistence import replica
from shared.contracts import EventState
from shared.db import Database, UnitOfWork
from shared.errors import Conflict


@dataclass(frozen=True)
class Booked:
    booking: booking_rules.Booking
    decision: Decision
    manage_token: str


def manage_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/manage/{token}"


async def book(db: Database, event_id: uuid.UUID, data: BookingCreate, *, base_url: str) -> Booked:
    """Decide confirmed or waitlisted under the event row's lock, and record it with its message."""
    key = booking_rules.email_key(data.email)
    async with db.unit_of_work() as uow:
        # The row lock serialises bookings for one event, so counters and decisions agree.
        event = await replica.get(uow, event_id, for_update=True)
        if event.status != "published":
            raise Conflict(f"this event is {event.status}", code="event_not_bookable")
        if await booking_store.active_for_email(uow, event_id, key):
            raise Conflict("this email already has a booking for this event", code="already_booked")
        decision = decide(
            capacity=event.capacity,
            confirmed=event.confirmed,
            waiting=event.waiting,
            waitlist_enabled=event.waitlist_enabled,
        )
        seq = await replica.count_new_booking(uow, event_id, decision.status)
        now = datetime.now(UTC)
        token, token_hash = booking_rules.new_manage_token()
        booking = booking_rules.Booking(
            id=uuid.uuid4(),
            event_id=event_id,
            status=decision.status,
            email=data.email.strip(),
            name=data.name.strip(),
            organisation=data.organisation.strip(),
            created_at=now,
            updated_at=now,
            waitlist_seq=seq or None,
        )
        await booking_store.add(uow, booking, email_key=key, token_hash=token_hash)
        uow.emit(
            f"bookings.booking.{decision.status}",
            booking_rules.to_state(
                booking,
                event_version=event.version,
                manage_url=manage_url(base_url, token),
                waitlist_position=decision.waitlist_position,
            ),
        )
        await uow.commit()
    return Booked(booking, decision, token)


async def apply_event_state(state: EventState, uow: UnitOfWork) -> None:
    await replica.apply_state(uow, state)
