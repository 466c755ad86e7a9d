"""The catalogue replica: applied by version through the real broker, cancellations cancel
every booking with a message each, more places promote, fewer bump nobody."""

from __future__ import annotations

import uuid

import httpx

from services.bookings.process import BookingsProcess
from shared.contracts import EventCancelled, new_envelope
from shared.messaging.declare import declare_all
from shared.messaging.publisher import Publisher
from tests.bookings.conftest import event_state, messages, person, put_event
from tests.support.waiting import wait_for


async def test_catalogue_messages_through_the_broker_apply_by_version(
    client: httpx.AsyncClient, process: BookingsProcess, bookings_app: tuple
) -> None:
    app, _ = bookings_app
    runtime = app.state.runtime
    publisher = Publisher(runtime.broker, runtime.settings.exchange_name, producer="catalogue")
    state = event_state(capacity=5)
    # As `make run` does: queues exist before anything is published, consumer started or not.
    await declare_all(runtime.settings)

    async def publish(routing_key: str, payload: object) -> None:
        env = new_envelope(routing_key, payload, producer="catalogue")  # type: ignore[arg-type]
        await publisher.publish(
            routing_key, env.to_json(), message_id=str(env.message_id), correlation_id="t"
        )

    async def capacity() -> int | None:
        r = await client.get(f"/public/events/{state.event_id}")
        return r.json()["capacity"] if r.status_code == 200 else None

    await publish("catalogue.event.published", state)
    await publish("catalogue.event.updated", state.model_copy(update={"version": 3, "capacity": 9}))
    # Stale: arrives after version 3, changes nothing.
    await publish("catalogue.event.updated", state.model_copy(update={"version": 2, "capacity": 1}))
    process.availability.invalidate(state.event_id)
    await wait_for(
        lambda: _fresh(process, state.event_id, capacity), timeout=10, message="version 3 applied"
    )
    assert await capacity() == 9


async def _fresh(process: BookingsProcess, event_id: uuid.UUID, read: object) -> bool:
    process.availability.invalidate(event_id)
    return await read() == 9  # type: ignore[operator,no-any-return]


async def test_event_cancelled_cancels_every_active_booking_with_a_message_each(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=1))
    for n in range(3):
        await client.post(f"/public/events/{state.event_id}/bookings", json=person(n))
    cancelled = EventCancelled(
        **{**state.model_dump(), "status": "cancelled", "version": 2, "reason": "venue flooded"}
    )
    await put_event(process.db, process.settings, cancelled)
    kinds = [m for m in await messages(process.db, event_id=state.event_id)][3:]
    assert [m["type"] for m in kinds] == ["bookings.booking.cancelled"] * 3
    assert {(m["payload"]["cancelled_by"], m["payload"]["reason"]) for m in kinds} == {
        ("event", "venue flooded")
    }
    process.availability.invalidate(state.event_id)
    event = (await client.get(f"/public/events/{state.event_id}")).json()
    assert (event["status"], event["booking_state"], event["waiting"]) == (
        "cancelled",
        "cancelled",
        0,
    )
    r = await client.post(f"/public/events/{state.event_id}/bookings", json=person(9))
    assert (r.status_code, r.json()["code"]) == (409, "event_not_bookable")


async def test_more_places_promote_waiting_people_and_fewer_bump_nobody(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=2))
    for n in range(5):
        await client.post(f"/public/events/{state.event_id}/bookings", json=person(n))
    await put_event(
        process.db, process.settings, state.model_copy(update={"version": 2, "capacity": 3})
    )
    promoted = [
        m for m in await messages(process.db, event_id=state.event_id)
        if m["type"] == "bookings.booking.promoted"
    ]  # fmt: skip
    assert len(promoted) == 1
    await put_event(
        process.db, process.settings, state.model_copy(update={"version": 3, "capacity": 1})
    )
    counts = (
        await client.get(f"/staff/events/{state.event_id}/counts", headers=staff_headers)
    ).json()
    assert (counts["confirmed"], counts["waiting"], counts["overage"]) == (3, 2, 2)
    r = await client.post(f"/public/events/{state.event_id}/bookings", json=person(7))
    assert r.json()["status"] == "waitlisted"
