"""Which programme an event or a booking belongs to, read from the replicated event state (the
catalogue's `EventState` carries `programme_id`), for programme-scoped staff tokens."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi import Request

from services.bookings.persistence.tables import bookings, event_replicas

_PROGRAMME = event_replicas.c.state["programme_id"].astext


async def _first(request: Request, query: sa.Select) -> tuple[bool, uuid.UUID | None]:
    async with request.app.state.bookings.db.unit_of_work() as uow:
        row = (await uow.execute(query)).first()
    if row is None:
        return False, None
    return True, uuid.UUID(row[0]) if row[0] else None


async def of_event(request: Request, event_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    return await _first(request, sa.select(_PROGRAMME).where(event_replicas.c.event_id == event_id))


async def of_booking(request: Request, booking_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    query = (
        sa.select(_PROGRAMME)
        .select_from(
            bookings.join(event_replicas, event_replicas.c.event_id == bookings.c.event_id)
        )
        .where(bookings.c.id == booking_id)
    )
    return await _first(request, query)


LOOKUPS = {"event_id": of_event, "booking_id": of_booking}
