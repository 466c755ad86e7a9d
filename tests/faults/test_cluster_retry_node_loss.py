"""A node of a three-node cluster stops while failed messages wait out their delay in a retry
queue: the retry queue is a quorum queue, so they are not lost with the node, and they come
back to the work queue on time (dead-lettered at least once, even while the work queue's
leader moves) to a consumer that reconnected to a live node by itself."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts.envelope import Envelope
from shared.messaging.broker import Broker
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.publisher import Publisher
from shared.messaging.topology import Subscription, retry_queue_name
from tests.support.rabbit_node import RabbitCluster
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

DELAY = 6.0
MESSAGES = 40
TYPE = "test.retry.waited"


async def test_messages_waiting_in_a_retry_queue_outlive_a_node_and_return_on_time(
    cluster: RabbitCluster,
) -> None:
    url = cluster.amqp_url("/")
    subscription = Subscription(f"retry-test-{uuid.uuid4().hex[:6]}", ("test.retry.*",))
    broker = Broker(url, name="retry-test")
    broker.start()
    publisher = Publisher(broker, "gm.events", producer="test")
    first_failed: dict[str, float] = {}
    handled: dict[str, float] = {}

    async def fail_once(envelope: Envelope) -> None:
        key = str(envelope.message_id)
        if key not in first_failed:
            first_failed[key] = time.monotonic()
            raise ValueError("the first attempt fails")
        handled.setdefault(key, time.monotonic())

    runner = ConsumerRunner(
        broker,
        publisher,
        subscription,
        {TYPE: fail_once},
        exchange_name="gm.events",
        prefetch=50,
        retry_delays=[DELAY],
        delivery_limit=20,
    )
    try:
        await wait_for(broker.wait_connected, timeout=20, message="connected")
        await runner.start()
        for _ in range(MESSAGES):
            envelope = Envelope(
                message_id=uuid.uuid4(),
                type=TYPE,
                version=1,
                occurred_at=datetime.now(UTC),
                correlation_id=str(uuid.uuid4()),
                causation_id=None,
                producer="test",
                payload={},
            )
            await publisher.publish(
                TYPE,
                envelope.to_json(),
                message_id=str(envelope.message_id),
                correlation_id=envelope.correlation_id,
            )
        await wait_for(
            lambda: len(first_failed) == MESSAGES, timeout=20, message="every first attempt"
        )
        retry_queue = retry_queue_name(subscription.queue, DELAY)
        leader = cluster.leaders("/")[retry_queue]
        assert not handled, "nothing may come back before its delay"
        stopped_at = time.monotonic()
        await cluster.node(leader).stop()
        await wait_for(
            lambda: len(handled) == MESSAGES,
            timeout=DELAY + 40,
            interval=0.2,
            message="every message back from the retry queue",
        )
        assert time.monotonic() - stopped_at < DELAY + 40
        waits = sorted(handled[k] - first_failed[k] for k in handled)
        # Not before its delay; and on time: within seconds of it, node loss and
        # reconnection included (a lost message would never arrive at all).
        assert waits[0] >= DELAY - 0.5, waits[:3]
        assert waits[-1] <= DELAY + 20, waits[-3:]
    finally:
        await runner.stop(grace=2)
        await broker.close()
