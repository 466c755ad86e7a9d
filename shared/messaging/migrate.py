"""Bring an existing deployment's queues to the topology the code declares, losing nothing.

    python -m shared.messaging.migrate             (on the broker in AMQP_URL)
    python -m shared.messaging.migrate --dry-run   (list the queues that differ, change nothing)

RabbitMQ cannot change a queue's type or arguments in place (declaring it with others fails
with PRECONDITION_FAILED), so a deployment made before retry queues were quorum queues and
dead-lettering was at-least-once keeps its old queues, and the new code cannot declare them.
For each queue whose arguments differ, this command:

1. declares `<queue>.migrating` (a quorum queue), binds it like the queue, then unbinds the
   queue: new messages go to the temporary queue. For a moment a message may reach both (a
   duplicate the consumers' inboxes absorb), never neither;
2. moves every message to the temporary queue, each acked on the old queue only once its copy
   is confirmed (a crash leaves it in one queue or both, never in none), and deletes the old
   queue once it is empty;
3. declares the queue with the new arguments and binds it, unbinds the temporary queue, moves
   the messages back and deletes the temporary queue.

Stop the consumers first (scale every service to zero, or stop them): a queue with consumers
is refused. Publishers may keep running. It is idempotent: run again after an interruption, it
finishes what was left (a leftover `<queue>.migrating` is emptied back), and on a migrated
broker it changes nothing. A message that was waiting in a retry queue starts its delay again.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
)
from aio_pika.exceptions import ChannelClosed
from pamqp.common import FieldTable

from shared.messaging.addresses import connect_first
from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import QueueSpec, declare_exchange, subscription_queues
from shared.settings import ServiceSettings

TEMPORARY_SUFFIX = ".migrating"
TEMPORARY_ARGUMENTS: FieldTable = {"x-queue-type": "quorum"}
BATCH = 200
# How long a drained queue may still count the move's closed channel as a consumer.
RELEASE_WAIT = 30.0


@dataclass
class Outcome:
    queue: str
    migrated: bool
    moved: int = 0


def wanted_subscriptions(settings: ServiceSettings) -> list[list[QueueSpec]]:
    return [
        subscription_queues(
            sub, retry_delays=settings.retry_delays, delivery_limit=settings.delivery_limit
        )
        for subscriptions in BY_SERVICE.values()
        for sub in subscriptions
    ]


def wanted_queues(settings: ServiceSettings) -> list[QueueSpec]:
    return [spec for specs in wanted_subscriptions(settings) for spec in specs]


async def _probe(
    connection: AbstractConnection,
    name: str,
    *,
    durable: bool = False,
    passive: bool = False,
    arguments: FieldTable | None = None,
) -> bool:
    """Declare on a channel of its own (a refusal closes the channel); False if refused."""
    channel = await connection.channel()
    try:
        await channel.declare_queue(name, durable=durable, passive=passive, arguments=arguments)
    except ChannelClosed:
        return False
    await channel.close()
    return True


async def differs(connection: AbstractConnection, spec: QueueSpec) -> bool:
    """True if the queue exists with other arguments. A missing one is not this command's
    business: the services (or `shared.messaging.declare`) declare it."""
    if not await exists(connection, spec.name):
        return False
    return not await _probe(connection, spec.name, durable=True, arguments=spec.arguments)


async def exists(connection: AbstractConnection, name: str) -> bool:
    return await _probe(connection, name, passive=True)


def _copy(message: aio_pika.abc.AbstractIncomingMessage) -> aio_pika.Message:
    headers = {k: v for k, v in (message.headers or {}).items() if k != "x-delivery-count"}
    return aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        app_id=message.app_id,
    )


async def move(connection: AbstractConnection, source_name: str, target: str) -> int:
    """Move every ready message of one queue into another, confirmed copy first.

    On a channel of its own, closed when done: a quorum queue counts a channel that took
    messages with basic.get as a consumer until that channel closes, which would otherwise
    block the deletion that follows."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    try:
        source = await channel.declare_queue(source_name, passive=True)
        return await _move_all(channel, source, target)
    finally:
        await channel.close()


async def _move_all(channel: AbstractChannel, source: AbstractQueue, target: str) -> int:
    moved = 0
    while True:
        batch: list[AbstractIncomingMessage] = []
        while len(batch) < BATCH:
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            batch.append(message)
        if not batch:
            return moved
        await asyncio.gather(
            *(channel.default_exchange.publish(_copy(m), target, mandatory=True) for m in batch)
        )
        for message in batch:
            await message.ack()
        moved += len(batch)


async def evacuate(
    connection: AbstractConnection,
    channel: AbstractChannel,
    exchange: AbstractExchange,
    spec: QueueSpec,
) -> int | None:
    """Steps 1 and 2 for an old-style queue, and its deletion; None if it already matches."""
    if not await differs(connection, spec):
        return None
    temporary = await channel.declare_queue(
        spec.name + TEMPORARY_SUFFIX, durable=True, arguments=TEMPORARY_ARGUMENTS
    )
    await _bind(temporary, exchange, spec.routing_keys)
    old = await channel.declare_queue(spec.name, passive=True)
    _refuse_consumers(old)
    await _unbind(old, exchange, spec.routing_keys)
    moved = await move(connection, spec.name, temporary.name)
    await _delete_drained(connection, spec.name)
    return moved


async def restore(
    connection: AbstractConnection,
    channel: AbstractChannel,
    exchange: AbstractExchange,
    spec: QueueSpec,
) -> bool:
    """Step 3: the queue with its declared arguments, refilled from its temporary queue."""
    temporary_name = spec.name + TEMPORARY_SUFFIX
    if not await exists(connection, temporary_name):
        return False
    queue = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    await _bind(queue, exchange, spec.routing_keys)
    temporary = await channel.declare_queue(temporary_name, passive=True)
    await _unbind(temporary, exchange, spec.routing_keys)
    await move(connection, temporary_name, spec.name)
    await _delete_drained(connection, temporary_name)
    return True


async def migrate_subscription(
    connection: AbstractConnection, exchange_name: str, specs: list[QueueSpec]
) -> list[Outcome]:
    """One subscription's queues, in an order no message can slip through: its retry queues
    (written only by its consumers, which are stopped) are emptied into their temporary queues
    first, so none of them can dead-letter into the work queue while that is being replaced;
    then the parked and the work queue; then the retry queues are refilled."""
    parked, retries, main = specs[0], specs[1:-1], specs[-1]
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    try:
        exchange = await declare_exchange(channel, exchange_name)
        moved = {spec.name: await evacuate(connection, channel, exchange, spec) for spec in retries}
        outcomes = []
        for spec in (parked, main):
            evacuated = await evacuate(connection, channel, exchange, spec)
            restored = await restore(connection, channel, exchange, spec)
            outcomes.append(Outcome(spec.name, restored, evacuated or 0))
        for spec in retries:
            restored = await restore(connection, channel, exchange, spec)
            outcomes.append(Outcome(spec.name, restored, moved[spec.name] or 0))
        return outcomes
    finally:
        await channel.close()


async def _delete_drained(connection: AbstractConnection, name: str) -> None:
    # Quorum queues refuse delete's if-empty and if-unused flags, so they are checked first;
    # nothing writes to the queue by then (it is unbound and its consumers are stopped).
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
        # The move's own basic.get channel is closed, but a quorum queue learns of that through
        # its Raft log: on a busy broker it still counts it for a moment (seen: 14 and 82
        # "consumers" of a queue in a vhost nobody else used).
        deadline = asyncio.get_running_loop().time() + RELEASE_WAIT
        while queue.declaration_result.consumer_count and (
            asyncio.get_running_loop().time() < deadline
        ):
            await asyncio.sleep(0.2)
            queue = await channel.declare_queue(name, passive=True)
        _refuse_consumers(queue)
        left = queue.declaration_result.message_count
        if left:
            raise RuntimeError(f"{name} still holds {left} messages after the move: not deleted")
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await channel.close()


def _refuse_consumers(queue: AbstractQueue) -> None:
    consumers = queue.declaration_result.consumer_count
    if consumers:
        raise RuntimeError(
            f"{queue.name} has {consumers} consumer(s): stop the services' consumers first"
        )


async def _bind(queue: AbstractQueue, exchange: AbstractExchange, keys: tuple[str, ...]) -> None:
    for key in keys:
        await queue.bind(exchange, routing_key=key)


async def _unbind(queue: AbstractQueue, exchange: AbstractExchange, keys: tuple[str, ...]) -> None:
    for key in keys:
        await queue.unbind(exchange, routing_key=key)


async def migrate_all(settings: ServiceSettings, *, dry_run: bool = False) -> list[Outcome]:
    connection = await connect_first(settings.amqp_url)
    try:
        outcomes = []
        for specs in wanted_subscriptions(settings):
            if dry_run:
                outcomes += [Outcome(s.name, migrated=await differs(connection, s)) for s in specs]
            else:
                outcomes += await migrate_subscription(connection, settings.exchange_name, specs)
        return outcomes
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.migrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    outcomes = asyncio.run(migrate_all(ServiceSettings(), dry_run=args.dry_run))
    changed = [o for o in outcomes if o.migrated]
    verb = "would migrate" if args.dry_run else "migrated"
    for outcome in changed:
        moved = "" if args.dry_run else f" ({outcome.moved} messages moved)"
        print(f"{verb}: {outcome.queue}{moved}")
    print(f"{len(changed)} of {len(outcomes)} queues {verb}; the others already match")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
