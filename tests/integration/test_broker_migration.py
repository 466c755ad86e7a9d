"""A deployment made before the cluster-ready topology (classic retry queues, at-most-once
dead-lettering) migrates with `python -m shared.messaging.migrate`: every message waiting in
its queues is still there afterwards, publishers keep publishing through the migration without
a loss, every queue ends up with the declared arguments, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio

from shared.messaging.declare import declare_all
from shared.messaging.migrate import TEMPORARY_SUFFIX, migrate_all, wanted_queues
from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import parked_queue_name, retry_queue_name
from shared.settings import ServiceSettings
from tests.support.infra import amqp_url, rabbitmqctl

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXCHANGE = "gm.events"


def old_main_arguments(name: str, delivery_limit: int) -> dict[str, object]:
    """What the code declared before: quorum, but the default at-most-once dead-lettering."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": parked_queue_name(name),
    }


def old_retry_arguments(name: str, delay: float) -> dict[str, object]:
    """Classic queues, on one node only."""
    return {
        "x-message-ttl": round(delay * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name,
    }


@pytest_asyncio.fixture(loop_scope="session")
async def vhost() -> AsyncIterator[str]:
    name = f"migrate-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(rabbitmqctl, "add_vhost", name)
    await asyncio.to_thread(rabbitmqctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield name
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", name)


async def declare_old_topology(channel: aio_pika.abc.AbstractChannel, s: ServiceSettings) -> None:
    exchange = await channel.declare_exchange(EXCHANGE, "topic", durable=True)
    for subscriptions in BY_SERVICE.values():
        for sub in subscriptions:
            await channel.declare_queue(
                parked_queue_name(sub.queue), durable=True, arguments={"x-queue-type": "quorum"}
            )
            for delay in s.retry_delays:
                await channel.declare_queue(
                    retry_queue_name(sub.queue, delay),
                    durable=True,
                    arguments=old_retry_arguments(sub.queue, delay),
                )
            queue = await channel.declare_queue(
                sub.queue, durable=True, arguments=old_main_arguments(sub.queue, s.delivery_limit)
            )
            for key in sub.routing_keys:
                await queue.bind(exchange, routing_key=key)


def message(message_id: str, **headers: object) -> aio_pika.Message:
    return aio_pika.Message(
        json.dumps({"id": message_id}).encode(),
        message_id=message_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers=dict(headers),
    )


async def drain_all(channel: aio_pika.abc.AbstractChannel, names: list[str]) -> dict[str, dict]:
    """Every message left anywhere, by message id: the queue it is in and its headers."""
    found: dict[str, dict] = {}
    for name in names:
        queue = await channel.declare_queue(name, passive=True)
        while (got := await queue.get(no_ack=True, fail=False)) is not None:
            found[str(got.message_id)] = {"queue": name, "headers": dict(got.headers or {})}
    return found


def live_queue_arguments(vhost: str) -> dict[str, tuple[str, str]]:
    """The broker's own view (rabbitmqctl), not the client's: queue type and arguments."""
    import subprocess

    done = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type", "durable", "arguments"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = [line.split("\t") for line in done.stdout.splitlines()[1:] if line.strip()]
    return {row[0]: (row[1], row[2], row[3]) for row in rows}  # type: ignore[misc]


async def test_migration_keeps_every_message_and_is_idempotent(vhost: str) -> None:
    # Two delays (a short one that expires during the move, a long one that waits) keep the
    # number of queues, each a Raft cluster to create and delete, and so the time, down.
    settings = ServiceSettings(amqp_url=amqp_url(vhost), retry_delays=[1.0, 600.0])
    subs = [sub for subscriptions in BY_SERVICE.values() for sub in subscriptions]
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_old_topology(channel, settings)
        # The new code cannot declare on the old topology: this is why a migration is needed.
        with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
            await declare_all(settings)
        exchange = await channel.get_exchange(EXCHANGE)
        waiting: set[str] = set()
        for sub in subs:
            for i in range(30):  # waiting in the work queue
                mid = f"work-{sub.queue}-{i}"
                await exchange.publish(message(mid), sub.routing_keys[0].replace("*", "x"))
                waiting.add(mid)
            longest = max(settings.retry_delays)  # waiting out a delay, with its attempt count
            for i in range(5):
                mid = f"retry-{sub.queue}-{i}"
                await channel.default_exchange.publish(
                    message(mid, **{"x-attempts": 5}), retry_queue_name(sub.queue, longest)
                )
                waiting.add(mid)
            mid = f"parked-{sub.queue}"
            await channel.default_exchange.publish(message(mid), parked_queue_name(sub.queue))
            waiting.add(mid)

        # A publisher keeps going all through the migration (services need not stop publishing).
        during: list[str] = []
        stop = asyncio.Event()

        async def keep_publishing() -> None:
            publisher = await connection.channel(publisher_confirms=True)
            live = await publisher.get_exchange(EXCHANGE)
            while not stop.is_set():
                mid = f"during-{len(during)}"
                await live.publish(message(mid), "bookings.booking.confirmed")
                during.append(mid)
                await asyncio.sleep(0.005)

        publishing = asyncio.create_task(keep_publishing())
        outcomes = await migrate_all(settings)
        stop.set()
        await publishing
        assert len(during) > 20, "the publisher must overlap the migration"
        migrated = {o.queue for o in outcomes if o.migrated}
        # Every queue, parked ones included (they gained an explicit delivery limit).
        assert migrated == {spec.name for spec in wanted_queues(settings)}

        # The services' own declarations now succeed, and a second run changes nothing.
        await declare_all(settings)
        assert not any(o.migrated for o in await migrate_all(settings))

        live = live_queue_arguments(vhost)
        assert not [name for name in live if name.endswith(TEMPORARY_SUFFIX)]
        for name, (kind, durable, arguments) in live.items():
            assert (kind, durable) == ("quorum", "true"), name
            if "x-dead-letter-exchange" in arguments:
                assert '"x-dead-letter-strategy","at-least-once"' in arguments, name
                assert '"x-overflow","reject-publish"' in arguments, name

        found = await drain_all(channel, [spec.name for spec in wanted_queues(settings)])
        assert waiting - found.keys() == set(), "messages lost in the migration"
        # Every message published during the migration reached the notifications queue.
        notified = {k for k, v in found.items() if v["queue"] == "notifications.booking-events"}
        assert set(during) - notified == set()
        for mid, where in found.items():
            if mid.startswith("retry-"):
                # Still waiting out its delay (or already back at work), its attempts intact.
                assert where["headers"]["x-attempts"] == 5
                assert where["queue"].split(".retry.")[0] in mid
