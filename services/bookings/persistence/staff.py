"""What staff read about an event's bookings: lists, the waiting list, counts, attendance."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.domain.bookings import Booking
from services.bookings.persistence.bookings import COLUMNS, from_row
from services.bookings.persistence.tables import attendance, bookings
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    option_id: uuid.UUID | None = None
    search: str | None = None
    booking_id: uuid.UUID | None = None
    limit: int = 100
    offset: int = 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(uow: UnitOfWork, event_id: uuid.UUID, filters: Filters) -> list[Booking]:
    query = sa.select(*COLUMNS).where(bookings.c.event_id == event_id)
    if filters.status:
        query = query.where(bookings.c.status == filters.status)
    if filters.option_id:
        query = query.where(bookings.c.option_ids.any(filters.option_id))
    if filters.booking_id:
        query = query.where(bookings.c.id == filters.booking_id)
    if filters.search:
        pattern = f"%{_escape_like(filters.search.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(bookings.c.name).like(pattern, escape="\\"),
                bookings.c.email_key.like(pattern, escape="\\"),
                sa.func.lower(bookings.c.organisation).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(bookings.c.created_at, bookings.c.id)
    rows = (await uow.execute(query.limit(filters.limit).offset(filters.offset))).all()
    return [from_row(r) for r in rows]


async def waiting_positions(uow: UnitOfWork, event_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = (
        await uow.execute(
            sa.select(bookings.c.id)
            .where(bookings.c.event_id == event_id, bookings.c.status == "waitlisted")
            .order_by(bookings.c.waitlist_seq)
        )
    ).all()
    return {r.id: position for position, r in enumerate(rows, start=1)}


async def status_counts(
    uow: UnitOfWork, event_id: uuid.UUID
) -> dict[tuple[str, uuid.UUID | None], int]:
    """Bookings by status, in all (option None) and per option held (a booking with two
    groups' choices counts once in all and once under each option)."""
    totals = (
        await uow.execute(
            sa.select(bookings.c.status, sa.func.count())
            .where(bookings.c.event_id == event_id)
            .group_by(bookings.c.status)
        )
    ).all()
    option = sa.func.unnest(bookings.c.option_ids).label("option_id")
    per_option = (
        await uow.execute(
            sa.select(bookings.c.status, option, sa.func.count())
            .where(bookings.c.event_id == event_id)
            .group_by(bookings.c.status, sa.text("option_id"))
        )
    ).all()
    counts: dict[tuple[str, uuid.UUID | None], int] = {(r[0], None): int(r[1]) for r in totals}
    counts.update({(r[0], r[1]): int(r[2]) for r in per_option})
    return counts


async def attendance_of(
    uow: UnitOfWork, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[uuid.UUID, str]]:
    found: dict[uuid.UUID, dict[uuid.UUID, str]] = defaultdict(dict)
    if booking_ids:
        rows = (
            await uow.execute(
                sa.select(
                    attendance.c.booking_id, attendance.c.session_id, attendance.c.status
                ).where(attendance.c.booking_id.in_(list(booking_ids)))
            )
        ).all()
        for r in rows:
            found[r.booking_id][r.session_id] = r.status
    return found


async def attendance_counts(
    uow: UnitOfWork, event_id: uuid.UUID
) -> dict[tuple[uuid.UUID, str], int]:
    rows = (
        await uow.execute(
            sa.select(attendance.c.session_id, attendance.c.status, sa.func.count())
            .select_from(attendance.join(bookings, bookings.c.id == attendance.c.booking_id))
            .where(bookings.c.event_id == event_id)
            .group_by(attendance.c.session_id, attendance.c.status)
        )
    ).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


async def attended_bookings(uow: UnitOfWork, event_id: uuid.UUID) -> int:
    """Bookings marked attended for at least one session."""
    return int(
        (
            await uow.execute(
                sa.select(sa.func.count(sa.distinct(attendance.c.booking_id)))
                .select_from(attendance.join(bookings, bookings.c.id == attendance.c.booking_id))
                .where(bookings.c.event_id == event_id, attendance.c.status == "attended")
            )
        ).scalar_one()
    )


async def mark_attendance(
    uow: UnitOfWork, booking_id: uuid.UUID, session_id: uuid.UUID, status: str, by: str
) -> None:
    statement = pg_insert(attendance).values(
        booking_id=booking_id, session_id=session_id, status=status, marked_by=by
    )
    await uow.execute(
        statement.on_conflict_do_update(
            index_elements=[attendance.c.booking_id, attendance.c.session_id],
            set_={"status": status, "marked_by": by, "marked_at": sa.func.now()},
        )
    )
