"""The booking batch reads an event's facts through the SQL function `bookings_lock_batch`
(migration 0002), not through the replica's query: the two must keep agreeing with
`EventFacts`, on the real database."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

from services.bookings.domain.admission import EventFacts
from services.bookings.persistence import batch as batch_store
from services.bookings.persistence import replica
from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, put_event


async def test_the_batch_function_returns_every_field_of_event_facts(
    process: BookingsProcess,
) -> None:
    """A field added to `EventFacts` must be added to the function too (a new migration);
    else the batch would decide on a default instead of the event's real value."""
    params = {"event_id": uuid.uuid4(), "emails": [], "keys": []}
    async with process.db.unit_of_work() as uow:
        result = await uow.execute(batch_store.LOCK_AND_READ, params)
        returned = set(result.keys())
    fields = {f.name for f in dataclasses.fields(EventFacts)}
    missing = fields - returned
    assert not missing, f"bookings_lock_batch does not return {sorted(missing)}"


async def test_the_batch_reads_the_same_facts_as_the_replica(process: BookingsProcess) -> None:
    """Every fact away from its default, so a column read into the wrong field shows."""
    state = event_state(
        version=3,
        status="published",
        audience=("cohorts", [uuid.uuid4(), uuid.uuid4()]),
    )
    state = state.model_copy(
        update={
            "booking_opens_at": state.starts_at - timedelta(days=20),
            "booking_closes_at": state.starts_at - timedelta(days=1),
        }
    )
    await put_event(process.db, process.settings, state)
    async with process.db.unit_of_work() as uow:
        batch_facts = (
            await batch_store.lock_and_read(uow, state.event_id, emails=[], keys=[])
        ).facts
        replica_facts, _ = await replica.load(uow, state.event_id)
    assert batch_facts == replica_facts
    defaults = EventFacts(
        event_id=uuid.uuid4(),
        version=0,
        status="",
        title="",
        starts_at=state.starts_at,
        ends_at=state.starts_at,
    )
    for field in ("audience_kind", "cohort_ids", "booking_opens_at", "booking_closes_at"):
        assert getattr(batch_facts, field) != getattr(defaults, field), field
    assert batch_facts.cohort_ids == tuple(state.audience.cohort_ids)
    assert batch_facts.booking_closes_at == state.booking_closes_at
