"""Loading and saving bookings inside a unit of work."""

from __future__ import annotations

import uuid
from dataclasses import asdict

import sqlalchemy as sa

from services.bookings.domain.bookings import Booking
from services.bookings.persistence.tables import bookings
from shared.db import UnitOfWork


async def active_for_email(uow: UnitOfWork, event_id: uuid.UUID, key: str) -> uuid.UUID | None:
    row = (
        await uow.execute(
            sa.select(bookings.c.id).where(
                bookings.c.event_id == event_id,
                bookings.c.email_key == key,
                bookings.c.status.in_(("confirmed", "waitlisted")),
            )
        )
    ).first()
    return row.id if row else None


async def add(uow: UnitOfWork, booking: Booking, *, email_key: str, token_hash: bytes) -> None:
    await uow.execute(
        sa.insert(bookings).values(
            **asdict(booking), email_key=email_key, manage_token_hash=token_hash
        )
    )
