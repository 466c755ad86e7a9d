"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from services.catalogue.domain.events import ConfirmedPlaces
from services.catalogue.persistence.tables import booking_tally
from shared.contracts import BookingState
from shared.db import UnitOfWork, upsert_if_newer


def _option_ids(booking: BookingState) -> list[uuid.UUID]:
    return [c.option_id for c in booking.choices] or (
        [booking.option_id] if booking.option_id else []
    )


async def apply(uow: UnitOfWork, booking: BookingState) -> bool:
    """Record a booking's status if this version is newer than the one held."""
    values = {
        "booking_id": booking.booking_id,
        "event_id": booking.event_id,
        "option_ids": _option_ids(booking),
        "status": booking.status,
        "version": booking.version,
    }
    return await upsert_if_newer(uow, booking_tally, values, key=["booking_id"])


# `apply` for many bookings in one statement. The option lists travel as array literals (one
# text each), since an array of arrays must be rectangular; the SQL text never changes, so
# its prepared statement is reused.
_APPLY_MANY = sa.text(
    "INSERT INTO booking_tally AS t (booking_id, event_id, option_ids, status, version)"
    " SELECT b, e, CAST(o AS uuid[]), s, v FROM unnest(CAST(:bookings AS uuid[]),"
    " CAST(:events AS uuid[]), CAST(:options AS text[]), CAST(:statuses AS text[]),"
    " CAST(:versions AS integer[])) AS x(b, e, o, s, v)"
    " ON CONFLICT (booking_id) DO UPDATE SET event_id = excluded.event_id,"
    " option_ids = excluded.option_ids, status = excluded.status, version = excluded.version"
    " WHERE t.version < excluded.version"
)


async def apply_many(uow: UnitOfWork, bookings: Sequence[BookingState]) -> None:
    """`apply` for each booking, in one statement: the same end state, since only the newest
    version of a booking is kept either way (and one statement may not touch a row twice)."""
    newest: dict[uuid.UUID, BookingState] = {}
    for booking in bookings:
        held = newest.get(booking.booking_id)
        if held is None or booking.version > held.version:
            newest[booking.booking_id] = booking
    rows = list(newest.values())
    await uow.execute(
        _APPLY_MANY,
        {
            "bookings": [b.booking_id for b in rows],
            "events": [b.event_id for b in rows],
            "options": ["{" + ",".join(str(o) for o in _option_ids(b)) + "}" for b in rows],
            "statuses": [b.status for b in rows],
            "versions": [b.version for b in rows],
        },
    )


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
