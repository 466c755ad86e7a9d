"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.catalogue.domain.events import ConfirmedPlaces
from services.catalogue.persistence.tables import booking_tally
from shared.contracts import BookingState
from shared.db import UnitOfWork, upsert_if_newer


async def apply(uow: UnitOfWork, booking: BookingState) -> bool:
    """Record a booking's status if this version is newer than the one held."""
    values = {
        "booking_id": booking.booking_id,
        "event_id": booking.event_id,
        "option_ids": [c.option_id for c in booking.choices]
        or ([booking.option_id] if booking.option_id else []),
        "status": booking.status,
        "version": booking.version,
    }
    return await upsert_if_newer(uow, booking_tally, values, key=["booking_id"])


async def confirmed(uow: UnitOfWork, event_id: uuid.UUID) -> ConfirmedPlaces:
    mine = (booking_tally.c.event_id == event_id, booking_tally.c.status == "confirmed")
    total = (await uow.execute(sa.select(sa.func.count()).where(*mine))).scalar_one()
    option = sa.func.unnest(booking_tally.c.option_ids).label("option_id")
    rows = (
        await uow.execute(
            sa.select(option, sa.func.count()).where(*mine).group_by(sa.text("option_id"))
        )
    ).all()
    by_option = {option_id: int(n) for option_id, n in rows}
    return ConfirmedPlaces(total=int(total), by_option=by_option)


async def counts(uow: UnitOfWork, event_id: uuid.UUID) -> dict[str, int]:
    """Bookings by status, for staff beside the capacity they set."""
    rows = await uow.execute(
        sa.select(booking_tally.c.status, sa.func.count())
        .where(booking_tally.c.event_id == event_id)
        .group_by(booking_tally.c.status)
    )
    found = {status: int(n) for status, n in rows}
    return {s: found.get(s, 0) for s in ("confirmed", "waitlisted", "cancelled")}
