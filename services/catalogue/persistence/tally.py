"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.catalogue.persistence.tables import booking_tally
from shared.contracts import BookingState
from shared.db import UnitOfWork


async def apply(uow: UnitOfWork, booking: BookingState) -> bool:
    """Record a booking's status if this version is newer than the one held."""
    values = {
        "booking_id": booking.booking_id,
        "event_id": booking.event_id,
        "option_id": booking.option_id,
        "status": booking.status,
        "version": booking.version,
    }
    statement = pg_insert(booking_tally).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[booking_tally.c.booking_id],
        set_={k: statement.excluded[k] for k in values if k != "booking_id"},
        where=booking_tally.c.version < statement.excluded.version,
    ).returning(booking_tally.c.booking_id)
    return (await uow.execute(statement)).first() is not None


async def counts(uow: UnitOfWork, event_id: uuid.UUID) -> dict[str, int]:
    rows = await uow.execute(
        sa.select(booking_tally.c.status, sa.func.count())
        .where(booking_tally.c.event_id == event_id)
        .group_by(booking_tally.c.status)
    )
    found = {status: int(n) for status, n in rows}
    return {s: found.get(s, 0) for s in ("confirmed", "waitlisted", "cancelled")}
