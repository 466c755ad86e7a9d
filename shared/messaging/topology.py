"""Broker topology: one durable topic exchange; per consumer purpose a quorum queue, retry
queues that dead-letter back to it after a delay, and a parked queue.

Every process declares what it uses at start; declarations are idempotent as long as the
arguments agree, which is why retry queue names carry their delay.
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue


@dataclass(frozen=True)
class Subscription:
    """A consumer purpose: its queue and the routing keys bound to it."""

    queue: str
    routing_keys: tuple[str, ...]


def retry_queue_name(queue: str, delay_seconds: float) -> str:
    return f"{queue}.retry.{round(delay_seconds * 1000)}ms"


def parked_queue_name(queue: str) -> str:
    return f"{queue}.parked"


def main_queue_arguments(name: str, *, delivery_limit: int) -> dict[str, object]:
    return {
        "x-queue-type": "quorum",
        # Explicit, as RabbitMQ 4 changes the default; catches a message that kills the
        # process every time it is delivered, before it could be retried or parked.
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": parked_queue_name(name),
    }


def retry_queue_arguments(name: str, delay: float) -> dict[str, object]:
    # Classic queues: a retry queue only holds messages for their delay, and per-queue TTL
    # expiry from the head is exactly the behaviour wanted (all share one delay).
    return {
        "x-message-ttl": round(delay * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name,
    }


PARKED_QUEUE_ARGUMENTS: dict[str, object] = {"x-queue-type": "quorum"}


async def declare_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    return await channel.declare_exchange(name, ExchangeType.TOPIC, durable=True)


async def declare_subscription(
    channel: AbstractChannel,
    exchange: AbstractExchange,
    subscription: Subscription,
    *,
    retry_delays: list[float],
    delivery_limit: int,
) -> AbstractQueue:
    name = subscription.queue
    await channel.declare_queue(
        parked_queue_name(name), durable=True, arguments=PARKED_QUEUE_ARGUMENTS
    )
    for delay in retry_delays:
        await channel.declare_queue(
            retry_queue_name(name, delay),
            durable=True,
            arguments=retry_queue_arguments(name, delay),
        )
    queue = await channel.declare_queue(
        name, durable=True, arguments=main_queue_arguments(name, delivery_limit=delivery_limit)
    )
    for key in subscription.routing_keys:
        await queue.bind(exchange, routing_key=key)
    return queue
