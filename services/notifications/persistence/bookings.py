"""The replica of bookings, applied by version."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from services.notifications.persistence.tables import bookings
from shared.contracts import BookingState
from shared.db import UnitOfWork

# As text, prepared once: the expression-language upsert cost ~0.6 ms of CPU per booking.
# A booking's replica moves only forward, by version; the hot path's confirmation statement
# (persistence/hotpath.CONFIRM_SQL) applies it with the same clause.
UPSERT_IF_NEWER = """
    ON CONFLICT (booking_id) DO UPDATE
       SET version = excluded.version, status = excluded.status,
           campaign_id = coalesce(excluded.campaign_id, bookings.campaign_id),
           state = excluded.state
     WHERE bookings.version < excluded.version
    RETURNING booking_id
"""

_APPLY = sa.text(
    """
    INSERT INTO bookings (booking_id, event_id, version, status, campaign_id, state)
    VALUES (:booking_id, :event_id, :version, :status, :campaign_id, CAST(:state AS jsonb))
    """
    + UPSERT_IF_NEWER
)


# The same upsert, and the booking's event from the replica, in one round trip: a booking
# message needs both, and through the unit of work each statement costs ~0.3 ms of CPU.
_APPLY_WITH_EVENT = sa.text(
    f"""
    WITH applied AS ({_APPLY.text})
    SELECT (SELECT state FROM events WHERE event_id = :event_id) AS event,
           EXISTS (SELECT 1 FROM applied) AS applied
    """
)


def _values(state: BookingState) -> dict[str, object]:
    return {
        "booking_id": state.booking_id,
        "event_id": state.event_id,
        "version": state.version,
        "status": state.status,
        "campaign_id": state.campaign_id,
        "state": state.model_dump_json(),
    }


async def apply_state(uow: UnitOfWork, state: BookingState) -> bool:
    """Store the booking if this version is newer than the one held; True if it was. A stale
    or repeated message changes nothing and sends nothing."""
    return (await uow.execute(_APPLY, _values(state))).first() is not None


async def apply_state_with_event(
    uow: UnitOfWork, state: BookingState
) -> tuple[dict[str, Any] | None, bool]:
    """`apply_state`, and the raw state of the booking's event (None if the replica does not
    hold it yet: the caller then fails the message, which rolls the booking back too)."""
    row = (await uow.execute(_APPLY_WITH_EVENT, _values(state))).one()
    return (dict(row.event) if row.event is not None else None), bool(row.applied)


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
