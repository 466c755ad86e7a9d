"""What the door reads and writes: events running now, a session's register, its counts, and
one check-in per booking and session (the attendance row)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.domain.bookings import Booking
from services.bookings.persistence.bookings import COLUMNS, from_row
from services.bookings.persistence.staff import _escape_like
from services.bookings.persistence.tables import attendance, bookings, event_replicas
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Mark:
    status: str
    marked_at: datetime
    marked_by: str


async def events_around(uow: UnitOfWork, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The published states of events that overlap [start, end]."""
    rows = (
        await uow.execute(
            sa.select(event_replicas.c.state)
            .where(
                event_replicas.c.status == "published",
                event_replicas.c.starts_at <= end,
                event_replicas.c.ends_at >= start,
            )
            .order_by(event_replicas.c.starts_at)
        )
    ).all()
    return [r.state for r in rows]


async def event_state(uow: UnitOfWork, event_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await uow.execute(
            sa.select(event_replicas.c.state).where(event_replicas.c.event_id == event_id)
        )
    ).first()
    return row.state if row else None


def _matching(query: sa.Select, search: str | None) -> sa.Select:
    if not search:
        return query
    pattern = f"%{_escape_like(search.strip().lower())}%"
    return query.where(
        sa.or_(
            sa.func.lower(bookings.c.name).like(pattern, escape="\\"),
            sa.func.lower(bookings.c.organisation).like(pattern, escape="\\"),
        )
    )


async def register(
    uow: UnitOfWork,
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    search: str | None,
    limit: int,
) -> list[tuple[Booking, Mark | None]]:
    """Confirmed bookings of the event, by name, each with its mark for the session."""
    joined = bookings.outerjoin(
        attendance,
        sa.and_(attendance.c.booking_id == bookings.c.id, attendance.c.session_id == session_id),
    )
    query = (
        sa.select(
            *COLUMNS,
            attendance.c.status.label("mark"),
            attendance.c.marked_at,
            attendance.c.marked_by,
        )
        .select_from(joined)
        .where(bookings.c.event_id == event_id, bookings.c.status == "confirmed")
        .order_by(sa.func.lower(bookings.c.name), bookings.c.id)
        .limit(limit)
    )
    rows = (await uow.execute(_matching(query, search))).all()
    return [(from_row(r), Mark(r.mark, r.marked_at, r.marked_by) if r.mark else None) for r in rows]


async def option_counts(
    uow: UnitOfWork, event_id: uuid.UUID, session_id: uuid.UUID
) -> dict[uuid.UUID | None, tuple[int, int]]:
    """Per option: (checked in, expected) among confirmed bookings. A booking counts under each
    option it holds (one per group); one that holds none counts under None."""
    rows = (await uow.execute(_OPTION_COUNTS, {"event": event_id, "session": session_id})).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


_OPTION_COUNTS = sa.text("""
SELECT o.option_id,
       count(a.booking_id) FILTER (WHERE a.status = 'attended'),
       count(b.id)
  FROM bookings b
  LEFT JOIN LATERAL unnest(b.option_ids) AS o(option_id) ON true
  LEFT JOIN attendance a ON a.booking_id = b.id AND a.session_id = :session
 WHERE b.event_id = :event AND b.status = 'confirmed'
 GROUP BY o.option_id
""")


async def booking_for_checkin(uow: UnitOfWork, booking_id: uuid.UUID) -> Booking | None:
    """The booking, share-locked: a cancellation (which updates the row) waits for this
    check-in to commit, or this check-in sees the cancellation."""
    row = (
        await uow.execute(
            sa.select(*COLUMNS).where(bookings.c.id == booking_id).with_for_update(read=True)
        )
    ).first()
    return from_row(row) if row else None


async def mark_of(uow: UnitOfWork, booking_id: uuid.UUID, session_id: uuid.UUID) -> Mark | None:
    row = (
        await uow.execute(
            sa.select(attendance.c.status, attendance.c.marked_at, attendance.c.marked_by)
            .where(attendance.c.booking_id == booking_id, attendance.c.session_id == session_id)
            .with_for_update()
        )
    ).first()
    return Mark(row.status, row.marked_at, row.marked_by) if row else None


async def marks_of(uow: UnitOfWork, booking_id: uuid.UUID) -> dict[uuid.UUID, Mark]:
    rows = (
        await uow.execute(
            sa.select(
                attendance.c.session_id,
                attendance.c.status,
                attendance.c.marked_at,
                attendance.c.marked_by,
            ).where(attendance.c.booking_id == booking_id)
        )
    ).all()
    return {r.session_id: Mark(r.status, r.marked_at, r.marked_by) for r in rows}


async def insert_mark(
    uow: UnitOfWork, booking_id: uuid.UUID, session_id: uuid.UUID, status: str, by: str
) -> Mark | None:
    """The new mark, or None when the booking and session had one already (two phones at
    once: the first wins, the second sees it)."""
    row = (
        await uow.execute(
            pg_insert(attendance)
            .values(booking_id=booking_id, session_id=session_id, status=status, marked_by=by)
            .on_conflict_do_nothing(
                index_elements=[attendance.c.booking_id, attendance.c.session_id]
            )
            .returning(attendance.c.status, attendance.c.marked_at, attendance.c.marked_by)
        )
    ).first()
    return Mark(row.status, row.marked_at, row.marked_by) if row else None


async def update_mark(
    uow: UnitOfWork, booking_id: uuid.UUID, session_id: uuid.UUID, status: str, by: str
) -> Mark:
    row = (
        await uow.execute(
            sa.update(attendance)
            .where(attendance.c.booking_id == booking_id, attendance.c.session_id == session_id)
            .values(status=status, marked_by=by, marked_at=sa.func.now())
            .returning(attendance.c.status, attendance.c.marked_at, attendance.c.marked_by)
        )
    ).one()
    return Mark(row.status, row.marked_at, row.marked_by)


async def delete_mark(uow: UnitOfWork, booking_id: uuid.UUID, session_id: uuid.UUID) -> None:
    await uow.execute(
        sa.delete(attendance).where(
            attendance.c.booking_id == booking_id, attendance.c.session_id == session_id
        )
    )
