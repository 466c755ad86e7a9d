"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

from collections.abc import Sequence

from services.catalogue.persistence import tally
from shared.contracts import BookingState
from shared.db import UnitOfWork


async def record_booking(booking: BookingState, uow: UnitOfWork) -> None:
    await tally.apply(uow, booking)


async def record_bookings(bookings: Sequence[BookingState], uow: UnitOfWork) -> None:
    """`record_booking` for a batch of messages, in one statement."""
    await tally.apply_many(uow, bookings)
