"""Broker topology: one durable topic exchange; per consumer purpose a quorum queue, retry
queues (quorum too) that dead-letter back to it after a delay, and a parked queue. Every queue
is a durable quorum queue, so the topology survives the loss of any one node of a three-node
cluster, and nothing RabbitMQ 4 removes is used (no classic mirrored or transient queues).

Every process declares what it uses at start; declarations are idempotent as long as the
arguments agree, which is why retry queue names carry their delay.
"""

from __future__ import annotations

from dataclasses import dataclass

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from pamqp.common import FieldTable


@dataclass(frozen=True)
class Subscription:
    """A consumer purpose: its queue and the routing keys bound to it."""

    queue: str
    routing_keys: tuple[str, ...]


def retry_queue_name(queue: str, delay_seconds: float) -> str:
    return f"{queue}.retry.{round(delay_seconds * 1000)}ms"


def parked_queue_name(queue: str) -> str:
    return f"{queue}.parked"


# How every queue that dead-letters does it, checked on RabbitMQ 3.10.8 (the version this
# project runs and tests): a quorum queue accepts `x-dead-letter-strategy: at-least-once`, in
# which the queue keeps a dead-lettered message until the target queue has confirmed it (so a
# message is not dropped while the parked or main queue's leader is away). RabbitMQ honours it
# only with `x-overflow: reject-publish` (its documentation: with the default drop-head it falls
# back to at-most-once; 3.10.8 accepts the declaration either way, so nothing warns). No queue sets
# a length limit, so reject-publish never refuses a publish here.
AT_LEAST_ONCE_DEAD_LETTERING: FieldTable = {
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}


def main_queue_arguments(name: str, *, delivery_limit: int) -> FieldTable:
    return {
        "x-queue-type": "quorum",
        # Explicit, as RabbitMQ 4 changes the default; catches a message that kills the
        # process every time it is delivered, before it could be retried or parked.
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": parked_queue_name(name),
        **AT_LEAST_ONCE_DEAD_LETTERING,
    }


def retry_queue_arguments(name: str, delay: float) -> FieldTable:
    # Quorum queues, so a message waiting out its delay survives the loss of a node. Checked on
    # RabbitMQ 3.10.8: a quorum queue honours a queue-wide `x-message-ttl` (supported since
    # 3.10) and dead-letters an expired message back to the work queue with `x-death` reason
    # `expired`, on time (1 s delay: back after about 1.05 s). Expiry happens at the head of
    # the queue, which is exactly right here because every message in one queue shares a delay.
    # Nothing consumes a retry queue, so it needs no delivery limit.
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": round(delay * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name,
        **AT_LEAST_ONCE_DEAD_LETTERING,
    }


# Listing parked messages reads them (basic.get) and hands them back unacked, and a quorum queue
# counts every such return as a delivery: measured on 3.10.8, 25 listings leave a message at
# x-delivery-count 25, and with a limit of 2 it is gone after the third listing (a parked queue
# has no dead-letter route, so it is dropped). RabbitMQ 4 gives every quorum queue a default
# limit of 20, so without this an operator's twentieth look at the parked messages would delete
# them. The limit is explicit and out of reach instead (-1, "no limit" on 4.x, is itself a
# limit on 3.10: the message went at the first return).
PARKED_DELIVERY_LIMIT = 2_000_000_000
PARKED_QUEUE_ARGUMENTS: FieldTable = {
    "x-queue-type": "quorum",
    "x-delivery-limit": PARKED_DELIVERY_LIMIT,
}


async def declare_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    return await channel.declare_exchange(name, ExchangeType.TOPIC, durable=True)


@dataclass(frozen=True)
class QueueSpec:
    """One queue as it must exist: name, arguments, and the routing keys bound to it."""

    name: str
    arguments: FieldTable
    routing_keys: tuple[str, ...] = ()


def subscription_queues(
    subscription: Subscription, *, retry_delays: list[float], delivery_limit: int
) -> list[QueueSpec]:
    """Every queue a subscription needs, in the order they are declared: the targets of
    dead-lettering (parked, then the retry queues) before the queues that dead-letter to them."""
    name = subscription.queue
    return [
        QueueSpec(parked_queue_name(name), PARKED_QUEUE_ARGUMENTS),
        *(
            QueueSpec(retry_queue_name(name, delay), retry_queue_arguments(name, delay))
            for delay in retry_delays
        ),
        QueueSpec(
            name,
            main_queue_arguments(name, delivery_limit=delivery_limit),
            subscription.routing_keys,
        ),
    ]


async def declare_subscription(
    channel: AbstractChannel,
    exchange: AbstractExchange,
    subscription: Subscription,
    *,
    retry_delays: list[float],
    delivery_limit: int,
) -> AbstractQueue:
    specs = subscription_queues(
        subscription, retry_delays=retry_delays, delivery_limit=delivery_limit
    )
    for spec in specs:
        queue = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        for key in spec.routing_keys:
            await queue.bind(exchange, routing_key=key)
    return queue
