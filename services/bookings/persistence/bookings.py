"""Loading and saving bookings inside a unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from services.bookings.domain.bookings import ACTIVE, Booking, Details, email_key
from services.bookings.domain.capacity import Waiter
from services.bookings.persistence.tables import bookings
from shared.db import UnitOfWork

_DETAILS = tuple(Details.__dataclass_fields__)
_BOOKING = tuple(f for f in Booking.__dataclass_fields__ if f != "details")
COLUMNS = [bookings.c[name] for name in (*_BOOKING, *_DETAILS)]
_MUTABLE = (
    "status",
    "option_ids",
    "waitlist_seq",
    "version",
    "updated_at",
    "cancelled_by",
    "cancel_reason",
    "was_status",
    "link_resent_at",
    *_DETAILS,
)


def to_row(booking: Booking) -> dict[str, Any]:
    row = {name: getattr(booking, name) for name in _BOOKING}
    row.update(asdict(booking.details))
    row["email_key"] = email_key(booking.email)
    row["option_ids"] = list(booking.option_ids)
    return row


def from_row(row: Any) -> Booking:
    m = row._mapping
    return Booking(
        **{name: m[name] for name in _BOOKING if name != "option_ids"},
        option_ids=tuple(m["option_ids"]),
        details=Details(**{name: m[name] for name in _DETAILS}),
    )


async def save_many(uow: UnitOfWork, changed: Sequence[Booking]) -> None:
    if not changed:
        return
    await uow.execute(
        sa.update(bookings)
        .where(bookings.c.id == sa.bindparam("b_id"))
        .values({name: sa.bindparam(f"b_{name}") for name in _MUTABLE}),
        [
            {"b_id": b.id, **{f"b_{k}": v for k, v in to_row(b).items() if k in _MUTABLE}}
            for b in changed
        ],
    )


async def get(uow: UnitOfWork, booking_id: uuid.UUID) -> Booking | None:
    row = (await uow.execute(sa.select(*COLUMNS).where(bookings.c.id == booking_id))).first()
    return from_row(row) if row else None


async def event_of(uow: UnitOfWork, booking_id: uuid.UUID) -> uuid.UUID | None:
    row = (
        await uow.execute(sa.select(bookings.c.event_id).where(bookings.c.id == booking_id))
    ).first()
    return row.event_id if row else None


async def active_of_event(uow: UnitOfWork, event_id: uuid.UUID) -> list[Booking]:
    rows = (
        await uow.execute(
            sa.select(*COLUMNS)
            .where(bookings.c.event_id == event_id, bookings.c.status.in_(ACTIVE))
            .order_by(bookings.c.created_at)
        )
    ).all()
    return [from_row(r) for r in rows]


async def waiters(
    uow: UnitOfWork, event_id: uuid.UUID, *, option_ids: Sequence[uuid.UUID] | None, limit: int
) -> list[Waiter]:
    """The waiting list in order, restricted to those whose options all have room (when the
    event has options), at most `limit` long: nobody further back could be promoted now."""
    query = (
        sa.select(bookings.c.id, bookings.c.option_ids, bookings.c.waitlist_seq)
        .where(bookings.c.event_id == event_id, bookings.c.status == "waitlisted")
        .order_by(bookings.c.waitlist_seq)
    )
    if option_ids is not None:
        query = query.where(
            bookings.c.option_ids.contained_by(sa.cast(list(option_ids), ARRAY(UUID(as_uuid=True))))
        )
    else:
        query = query.limit(limit)
    rows = (await uow.execute(query)).all()
    return [Waiter(r.id, tuple(r.option_ids), r.waitlist_seq) for r in rows]


async def get_many(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Booking]:
    if not ids:
        return {}
    rows = (await uow.execute(sa.select(*COLUMNS).where(bookings.c.id.in_(list(ids))))).all()
    return {b.id: b for b in map(from_row, rows)}


async def waitlist_position(uow: UnitOfWork, booking: Booking) -> int | None:
    """Where a waiting booking stands now: one plus everyone waiting ahead of it."""
    if booking.status != "waitlisted" or booking.waitlist_seq is None:
        return None
    ahead = (
        await uow.execute(
            sa.select(sa.func.count()).where(
                bookings.c.event_id == booking.event_id,
                bookings.c.status == "waitlisted",
                bookings.c.waitlist_seq < booking.waitlist_seq,
            )
        )
    ).scalar_one()
    return int(ahead) + 1


async def page_after(uow: UnitOfWork, after: uuid.UUID | None, limit: int) -> list[Booking]:
    """Every booking by id, one page after `after` (for the resync command)."""
    query = sa.select(*COLUMNS)
    if after is not None:
        query = query.where(bookings.c.id > after)
    rows = (await uow.execute(query.order_by(bookings.c.id).limit(limit))).all()
    return [from_row(row) for row in rows]
