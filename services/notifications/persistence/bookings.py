"""The replica of bookings, applied by version."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.notifications.persistence.tables import bookings
from shared.contracts import BookingState
from shared.db import UnitOfWork

# As text, prepared once: the expression-language upsert cost ~0.6 ms of CPU per booking.
_APPLY = sa.text(
    """
    INSERT INTO bookings (booking_id, event_id, version, status, campaign_id, state)
    VALUES (:booking_id, :event_id, :version, :status, :campaign_id, CAST(:state AS jsonb))
    ON CONFLICT (booking_id) DO UPDATE
       SET version = excluded.version, status = excluded.status,
           campaign_id = coalesce(excluded.campaign_id, bookings.campaign_id),
           state = excluded.state
     WHERE bookings.version < excluded.version
    RETURNING booking_id
    """
)


async def apply_state(uow: UnitOfWork, state: BookingState) -> bool:
    """Store the booking if this version is newer than the one held; True if it was. A stale
    or repeated message changes nothing and sends nothing."""
    values = {
        "booking_id": state.booking_id,
        "event_id": state.event_id,
        "version": state.version,
        "status": state.status,
        "campaign_id": state.campaign_id,
        "state": state.model_dump_json(),
    }
    return (await uow.execute(_APPLY, values)).first() is not None


async def get(uow: UnitOfWork, booking_id: uuid.UUID) -> BookingState | None:
    row = (
        await uow.execute(sa.select(bookings.c.state).where(bookings.c.booking_id == booking_id))
    ).first()
    return BookingState.model_validate(row.state) if row else None


async def confirmed_for_event(uow: UnitOfWork, event_id: uuid.UUID) -> list[BookingState]:
    rows = await uow.execute(
        sa.select(bookings.c.state)
        .where(bookings.c.event_id == event_id, bookings.c.status == "confirmed")
        .order_by(bookings.c.booking_id)
    )
    return [BookingState.model_validate(row.state) for row in rows]


async def waiting_for_event(uow: UnitOfWork, event_id: uuid.UUID) -> list[BookingState]:
    rows = await uow.execute(
        sa.select(bookings.c.state)
        .where(bookings.c.event_id == event_id, bookings.c.status == "waitlisted")
        .order_by(bookings.c.booking_id)
    )
    return [BookingState.model_validate(row.state) for row in rows]


async def booked_from_campaign(uow: UnitOfWork, campaign_id: uuid.UUID) -> int:
    """Bookings (confirmed or waiting) made through a campaign's invitation links."""
    return int(
        await uow.session.scalar(
            sa.select(sa.func.count()).where(
                bookings.c.campaign_id == campaign_id,
                bookings.c.status.in_(("confirmed", "waitlisted")),
            )
        )
        or 0
    )
