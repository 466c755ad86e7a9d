"""The publisher's batches against the real broker: one write per batch must still give every
message its own delivery tag and confirm, in order, with other publishes on the same channel."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio

from shared.messaging.publisher import Outgoing
from shared.messaging.topology import declare_exchange
from shared.runtime import Runtime
from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = Runtime(settings_for("bookings", infra, run_workers=False))
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


async def test_batches_and_single_publishes_sharing_a_channel_are_each_confirmed_in_order(
    runtime: Runtime,
) -> None:
    key = f"test.batch.{uuid.uuid4().hex[:8]}"
    channel = await runtime.broker.channel()
    exchange = await declare_exchange(channel, runtime.settings.exchange_name)
    queue = await channel.declare_queue(f"probe-{uuid.uuid4().hex[:8]}", exclusive=True)
    await queue.bind(exchange, key)
    items = [
        Outgoing(key, f'{{"n": {n}}}'.encode(), str(uuid.uuid4()), f"corr-{n}") for n in range(300)
    ]
    direct = [f"direct-{n}" for n in range(20)]

    async def send_direct(message_id: str) -> None:
        await runtime.publisher.send_to_queue(
            queue.name, b"{}", message_id=message_id, correlation_id=None, type_=None, headers={}
        )

    first, *_, second = await asyncio.gather(
        runtime.publisher.publish_many(items[:150]),
        *(send_direct(message_id) for message_id in direct),
        runtime.publisher.publish_many(items[150:]),
    )
    assert first == [None] * 150 and second == [None] * 150
    assert await runtime.publisher.publish_many([]) == []

    received: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def all_arrived() -> bool:
        while (message := await queue.get(fail=False)) is not None:
            received.append(message)
        return len(received) == len(items) + len(direct)

    await wait_for(all_arrived, timeout=30, message="every message in the queue")
    batched = [m for m in received if not (m.message_id or "").startswith("direct-")]
    assert [m.message_id for m in batched] == [item.message_id for item in items]
    assert sorted(m.message_id or "" for m in received if m not in batched) == sorted(direct)
    sample = batched[7]
    assert sample.body == b'{"n": 7}'
    assert sample.correlation_id == "corr-7"
    assert sample.headers["x-correlation-id"] == "corr-7"
    assert sample.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert sample.content_type == "application/json"
    assert sample.type == key
    assert sample.app_id == runtime.settings.service_name
    assert sample.timestamp is not None
