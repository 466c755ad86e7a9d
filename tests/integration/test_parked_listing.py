"""Looking at parked messages must never cost them: a listing hands each one back to its quorum
queue, which counts that as a delivery (x-delivery-count). Listed more often than RabbitMQ 4's
default delivery limit (20), every parked message is still there."""

from __future__ import annotations

import uuid

import aio_pika
import pytest

from shared.messaging.parked import list_parked
from shared.messaging.topology import (
    Subscription,
    declare_exchange,
    declare_subscription,
    parked_queue_name,
)
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")

LISTINGS = 25  # more than RabbitMQ 4's default quorum delivery limit


async def test_listing_parked_messages_many_times_loses_none(infra: Infra) -> None:
    subscription = Subscription(f"listing-{uuid.uuid4().hex[:8]}", ("test.listing.*",))
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_exchange(channel, "gm.events")
        await declare_subscription(
            channel, exchange, subscription, retry_delays=[1.0], delivery_limit=5
        )
        parked = parked_queue_name(subscription.queue)
        for n in range(3):
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}", message_id=f"parked-{n}"), routing_key=parked
            )
        for _ in range(LISTINGS):
            listed = await list_parked(connection, [subscription.queue])
            assert len(listed) == 3
        # Each listing did count as a delivery: the queue's own count says so, so only the
        # parked queue's explicit limit stands between the listings and the messages' loss.
        queue = await channel.declare_queue(parked, passive=True)
        first = await queue.get(no_ack=False)
        assert (first.headers or {}).get("x-delivery-count") == LISTINGS
        await first.nack(requeue=True)
        await queue.delete(if_unused=False, if_empty=False)
