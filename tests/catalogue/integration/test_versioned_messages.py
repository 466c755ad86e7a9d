"""Versioned event states reaching a consumer through the real broker: in order, each edit
arrives as the next version; out of order (and repeated), a consumer that keeps only newer
versions still ends with the latest state, because every state carries its version."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import Envelope, EventState, parse_payload
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.topology import Subscription
from shared.runtime import Runtime
from tests.catalogue.support import emitted_for, make_event, outbox_backlog
from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]


class Replica:
    """What any consumer of catalogue events does: keep a state only if it is newer."""

    def __init__(self) -> None:
        self.states: dict[uuid.UUID, EventState] = {}
        self.applied: list[int] = []
        self.ignored: list[int] = []

    async def handle(self, envelope: Envelope) -> None:
        state = parse_payload(envelope)
        assert isinstance(state, EventState)
        held = self.states.get(state.event_id)
        if held is not None and held.version >= state.version:
            self.ignored.append(state.version)
            return
        self.states[state.event_id] = state
        self.applied.append(state.version)

    def version_of(self, event_id: str) -> int:
        held = self.states.get(uuid.UUID(event_id))
        return held.version if held else 0


async def _no_backlog(engine: AsyncEngine) -> bool:
    return await outbox_backlog(engine) == 0


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = Runtime(settings_for("catalogue", infra, run_workers=False))
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


async def consuming(rt: Runtime, replica: Replica, engine: AsyncEngine) -> ConsumerRunner:
    # Earlier tests may have left rows for the app's relay to publish; let it catch up first so
    # this queue hears only this test's events, within the deadlines below.
    await wait_for(lambda: _no_backlog(engine), timeout=60, message="outbox relayed")
    keys = ("catalogue.event.published", "catalogue.event.updated", "catalogue.event.cancelled")
    runner = ConsumerRunner(
        rt.broker,
        rt.publisher,
        Subscription(f"test.catalogue-replica-{uuid.uuid4().hex[:8]}", keys),
        dict.fromkeys(keys, replica.handle),
        exchange_name=rt.settings.exchange_name,
        prefetch=8,
        retry_delays=[0.1],
        delivery_limit=5,
    )
    await runner.start()
    return runner


async def test_each_edit_arrives_as_the_next_version(
    client: httpx.AsyncClient, staff_headers: Headers, runtime: Runtime, engine: AsyncEngine
) -> None:
    replica = Replica()
    runner = await consuming(runtime, replica, engine)
    try:
        event = await make_event(client, staff_headers, publish=True)
        eid = event["id"]
        await wait_for(lambda: replica.version_of(eid) == 1, message="version 1")
        for n, change in enumerate([{"title": "Two"}, {"capacity": 12}, {"summary": "Four"}], 2):
            await client.patch(f"/staff/events/{eid}", json=change, headers=staff_headers)
            await wait_for(lambda n=n: replica.version_of(eid) == n, message=f"version {n}")
        await client.post(
            f"/staff/events/{eid}/cancel", json={"reason": "Snow"}, headers=staff_headers
        )
        await wait_for(lambda: replica.version_of(eid) == 5, message="cancelled version")
    finally:
        await runner.stop(5)
    final = replica.states[uuid.UUID(eid)]
    assert replica.applied == [1, 2, 3, 4, 5] and replica.ignored == []
    assert (final.status, final.title, final.capacity, final.summary) == (
        "cancelled",
        "Two",
        12,
        "Four",
    )
    [last] = (await emitted_for(engine, eid))[-1:]
    assert final == parse_payload(last)


async def test_stale_and_repeated_versions_are_ignored_whatever_the_order(
    client: httpx.AsyncClient, staff_headers: Headers, runtime: Runtime, engine: AsyncEngine
) -> None:
    event = await make_event(client, staff_headers, publish=True)
    eid = event["id"]
    for title in ("B", "C", "D"):
        await client.patch(f"/staff/events/{eid}", json={"title": title}, headers=staff_headers)
    history = await emitted_for(engine, eid)
    assert [e.payload["version"] for e in history] == [1, 2, 3, 4]

    for order in (list(reversed(history)), random.Random(7).sample(history * 2, 8)):
        replica = Replica()
        runner = await consuming(runtime, replica, engine)
        try:
            for envelope in order:  # sent again in this order, one at a time
                await runtime.publisher.publish(
                    envelope.type,
                    envelope.to_json(),
                    message_id=str(envelope.message_id),
                    correlation_id=envelope.correlation_id,
                )
            await wait_for(
                lambda n=len(order), r=replica: len(r.applied) + len(r.ignored) == n,
                message="every message handled",
            )
        finally:
            await runner.stop(5)
        final = replica.states[uuid.UUID(eid)]
        assert (final.version, final.title) == (4, "D")
        assert replica.applied[-1] == 4 and sorted(replica.applied) == replica.applied
