"""The booking tally's batch form (inbox claim and upsert in one statement on asyncpg) against
the real database: it leaves exactly what the single handler, message after message, leaves;
a message claimed once is never applied again, even when the row it wrote has gone."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from services.catalogue.consumers import BOOKING_EVENT_HANDLERS
from services.catalogue.handlers import tally as handlers
from services.catalogue.persistence.tables import booking_tally
from shared.contracts import Envelope, new_envelope
from shared.contracts.bookings import Attendee, BookingCancelled, BookingChoice, BookingState
from shared.db import Database
from shared.messaging.handlers import one_statement_batch, transactional_table
from shared.messaging.schema import inbox_table

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def state(
    booking_id: uuid.UUID,
    version: int,
    status: str,
    *,
    event_id: uuid.UUID,
    options: Sequence[uuid.UUID] = (),
) -> BookingState:
    fields = {
        "booking_id": booking_id,
        "version": version,
        "event_id": event_id,
        "status": status,
        "attendee": Attendee(name="Tally Person", email="tally@example.org"),
        "manage_url": "https://example.org/manage/x",
        "created_at": NOW,
        "updated_at": NOW,
        "option_id": options[0] if options else None,
        "choices": [BookingChoice(group_id=uuid.uuid4(), option_id=o) for o in options],
    }
    if status == "cancelled":
        return BookingCancelled.model_validate({**fields, "cancelled_by": "attendee"})
    return BookingState.model_validate(fields)


def message(booking: BookingState) -> Envelope:
    type_ = {"cancelled": "bookings.booking.cancelled"}.get(
        booking.status, "bookings.booking.confirmed"
    )
    return new_envelope(type_, booking, producer="bookings")


def scenario(event_id: uuid.UUID, options: Sequence[uuid.UUID]) -> list[Envelope]:
    """Five bookings' messages as a busy queue delivers them: out of order, repeated (the
    same message twice), a second message of a version already held, a stale one last."""
    a, b, c, d, e = (uuid.uuid4() for _ in range(5))
    a3 = message(state(a, 3, "cancelled", event_id=event_id))
    b1 = message(state(b, 1, "waitlisted", event_id=event_id))
    c2 = message(state(c, 2, "confirmed", event_id=event_id, options=options))
    return [
        message(state(a, 1, "confirmed", event_id=event_id)),
        a3,
        message(state(a, 2, "confirmed", event_id=event_id, options=options[:1])),
        b1,
        b1,
        message(state(b, 2, "confirmed", event_id=event_id, options=options[1:])),
        message(state(c, 1, "waitlisted", event_id=event_id)),
        c2,
        message(state(c, 2, "cancelled", event_id=event_id)),
        message(state(d, 1, "confirmed", event_id=event_id, options=options)),
        message(state(e, 2, "cancelled", event_id=event_id)),
        message(state(e, 1, "confirmed", event_id=event_id)),
        a3,
    ]


async def rows_by_booking(db: Database, event_id: uuid.UUID) -> dict[uuid.UUID, tuple[object, ...]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(
                booking_tally.c.booking_id,
                booking_tally.c.status,
                booking_tally.c.version,
                booking_tally.c.option_ids,
            ).where(booking_tally.c.event_id == event_id)
        )
        return {r.booking_id: (r.status, r.version, sorted(r.option_ids)) for r in rows}


def in_order(envelopes: Sequence[Envelope]) -> list[uuid.UUID]:
    return list(dict.fromkeys(uuid.UUID(e.payload["booking_id"]) for e in envelopes))


async def claimed(db: Database, consumer: str) -> set[uuid.UUID]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(inbox_table.c.message_id).where(inbox_table.c.consumer == consumer)
        )
        return {row[0] for row in rows}


@pytest.mark.parametrize("batch_size", [1, 3, 13])
async def test_a_batch_leaves_what_the_single_handler_leaves(db: Database, batch_size: int) -> None:
    options = [uuid.uuid4(), uuid.uuid4()]
    batched_event, single_event = uuid.uuid4(), uuid.uuid4()
    batched, single = scenario(batched_event, options), scenario(single_event, options)
    batch_consumer, single_consumer = f"test.batch-{uuid.uuid4().hex[:6]}", "test.single"
    batch = one_statement_batch(db, batch_consumer, handlers.record_bookings)
    for start in range(0, len(batched), batch_size):
        await batch(batched[start : start + batch_size])
    one = transactional_table(db, single_consumer, BOOKING_EVENT_HANDLERS)
    for envelope in single:
        await one[envelope.type](envelope)

    by_batch = await rows_by_booking(db, batched_event)
    by_single = await rows_by_booking(db, single_event)
    assert [by_batch[b] for b in in_order(batched)] == [by_single[b] for b in in_order(single)]
    assert [by_batch[b][:2] for b in in_order(batched)] == [
        ("cancelled", 3),
        ("confirmed", 2),
        ("confirmed", 2),  # the first delivered of version 2 is kept, as one by one
        ("confirmed", 1),
        ("cancelled", 2),
    ]
    assert await claimed(db, batch_consumer) == {e.message_id for e in batched}


async def test_a_message_claimed_once_is_never_applied_again(db: Database) -> None:
    event_id = uuid.uuid4()
    consumer = f"test.again-{uuid.uuid4().hex[:6]}"
    batch = one_statement_batch(db, consumer, handlers.record_bookings)
    first = [message(state(uuid.uuid4(), 1, "confirmed", event_id=event_id)) for _ in range(4)]
    await batch(first)
    assert len(await rows_by_booking(db, event_id)) == 4
    # With the rows gone, only the inbox can stop a redelivery from writing them again.
    async with db.engine.begin() as conn:
        await conn.execute(sa.delete(booking_tally).where(booking_tally.c.event_id == event_id))
    fresh = message(state(uuid.uuid4(), 1, "waitlisted", event_id=event_id))
    await batch([*first[:2], fresh, *first[2:]])
    assert list((await rows_by_booking(db, event_id)).values()) == [("waitlisted", 1, [])]
    assert await claimed(db, consumer) == {e.message_id for e in [*first, fresh]}
