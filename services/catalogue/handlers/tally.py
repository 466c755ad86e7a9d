"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

from services.catalogue.persistence import tally
from shared.contracts import BookingState
from shared.db import UnitOfWork


async def record_booking(booking: BookingState, uow: UnitOfWork) -> None:
    await tally.apply(uow, booking)
