"""Delivery rows: one per email, with its life cycle queued -> sent, or failed -> ... -> parked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.notifications.persistence.tables import deliveries
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    dedupe_key: str
    kind: str
    booking_id: uuid.UUID | None
    event_id: uuid.UUID | None
    recipient: str
    subject: str
    body_text: str
    body_html: str
    state: str
    attempts: int
    last_error: str | None
    smtp_message_id: str | None
    correlation_id: str | None
    created_at: datetime
    sent_at: datetime | None


_COLUMNS = [deliveries.c[name] for name in Delivery.__dataclass_fields__]


async def queue(uow: UnitOfWork, **values: object) -> uuid.UUID | None:
    """Insert a queued delivery; None if one with the same dedupe key already exists."""
    delivery_id = uuid.uuid4()
    row = (
        await uow.execute(
            pg_insert(deliveries)
            .values(id=delivery_id, state="queued", **values)
            .on_conflict_do_nothing(index_elements=[deliveries.c.dedupe_key])
            .returning(deliveries.c.id)
        )
    ).first()
    return row.id if row else None


async def lock(uow: UnitOfWork, delivery_id: uuid.UUID) -> Delivery | None:
    """Lock a delivery for sending; a concurrent copy of the same work waits here, then finds
    it sent."""
    row = (
        await uow.execute(
            sa.select(*_COLUMNS).where(deliveries.c.id == delivery_id).with_for_update()
        )
    ).first()
    return Delivery(**row._mapping) if row else None


async def mark_sent(uow: UnitOfWork, delivery_id: uuid.UUID, smtp_answer: str) -> None:
    await uow.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            state="sent",
            attempts=deliveries.c.attempts + 1,
            smtp_message_id=smtp_answer[:500],
            sent_at=datetime.now(UTC),
            last_error=None,
        )
    )


async def mark_failed(uow: UnitOfWork, delivery_id: uuid.UUID, error: str, *, state: str) -> None:
    await uow.execute(
        sa.update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.state != "sent")
        .values(state=state, attempts=deliveries.c.attempts + 1, last_error=error[:2000])
    )


async def for_booking(uow: UnitOfWork, booking_id: uuid.UUID) -> list[Delivery]:
    rows = await uow.execute(
        sa.select(*_COLUMNS)
        .where(deliveries.c.booking_id == booking_id)
        .order_by(deliveries.c.created_at)
    )
    return [Delivery(**row._mapping) for row in rows]
