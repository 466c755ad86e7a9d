"""What the public and staff read: one short read-only unit of work each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking
from services.bookings.domain.capacity import Places
from services.bookings.persistence import bookings as store
from services.bookings.persistence import replica
from services.bookings.usecases.messages import choices_of
from shared.contracts import BookingChoice
from shared.db import Database
from shared.errors import NotFound


@dataclass(frozen=True)
class BookingView:
    booking: Booking
    facts: EventFacts
    state: dict[str, Any]
    choices: tuple[BookingChoice, ...]
    waitlist_position: int | None
    places: Places


async def event_state(db: Database, event_id: uuid.UUID) -> tuple[dict[str, Any], Places]:
    async with db.unit_of_work() as uow:
        return await replica.public_state(uow, event_id)


async def booking_view(db: Database, booking_id: uuid.UUID) -> BookingView:
    async with db.unit_of_work() as uow:
        booking = await store.get(uow, booking_id)
        if booking is None:
            raise NotFound("no such booking", code="booking_not_found")
        facts, places = await replica.load(uow, booking.event_id)
        state, _ = await replica.public_state(uow, booking.event_id)
        position = await store.waitlist_position(uow, booking)
    return BookingView(
        booking, facts, state, choices_of(places, booking.option_ids), position, places
    )
