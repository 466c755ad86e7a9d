"""The booking tally: what bookings has decided, as far as the catalogue has heard."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from services.catalogue.domain.events import ConfirmedPlaces
from services.catalogue.persistence.tables import booking_tally
from shared.contracts import BookingState
from shared.db import UnitOfWork, upsert_if_newer
from shared.messaging.handlers import INBOX_CLAIMED


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


# The inbox claim and `apply` of each claimed message in one statement (see
# `shared.messaging.handlers.one_statement_batch`). Per booking only the newest version among
# the fresh messages (the first delivered among equal ones) is written: one statement may not
# touch a row twice, and `apply` in delivery order keeps the same one. The option lists travel
# as array literals (one text each), since an array of arrays must be rectangular; the SQL
# text never changes, so its prepared statement is reused.
CLAIM_AND_APPLY = (
    f"WITH {INBOX_CLAIMED},"
    " fresh AS (SELECT DISTINCT ON (x.b) x.b, x.e, x.o, x.s, x.v"
    " FROM unnest(CAST($3 AS uuid[]), CAST($4 AS uuid[]), CAST($5 AS uuid[]),"
    " CAST($6 AS text[]), CAST($7 AS text[]), CAST($8 AS integer[]))"
    " WITH ORDINALITY AS x(m, b, e, o, s, v, n)"
    " JOIN claimed ON claimed.message_id = x.m ORDER BY x.b, x.v DESC, x.n),"
    " applied AS (INSERT INTO booking_tally AS t (booking_id, event_id, option_ids, status,"
    " version) SELECT b, e, CAST(o AS uuid[]), s, v FROM fresh"
    " ON CONFLICT (booking_id) DO UPDATE SET event_id = excluded.event_id,"
    " option_ids = excluded.option_ids, status = excluded.status, version = excluded.version"
    " WHERE t.version < excluded.version)"
    " SELECT message_id FROM claimed"
)


def claim_and_apply(
    messages: Sequence[tuple[uuid.UUID, BookingState]],
) -> tuple[str, list[list[object]]]:
    """`CLAIM_AND_APPLY` and its parameters for a batch of booking messages."""
    return CLAIM_AND_APPLY, [
        [m for m, _ in messages],
        [b.booking_id for _, b in messages],
        [b.event_id for _, b in messages],
        ["{" + ",".join(str(o) for o in _option_ids(b)) + "}" for _, b in messages],
        [b.status for _, b in messages],
        [b.version for _, b in messages],
    ]


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
