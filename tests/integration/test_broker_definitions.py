"""The committed broker definitions load into a real RabbitMQ, and the services' own queue
declarations agree with them (a mismatch in arguments would fail with PRECONDITION_FAILED)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import aio_pika
import pytest

from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import declare_exchange, declare_subscription
from shared.settings import ServiceSettings
from tests.support.infra import amqp_url, rabbitmqctl
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]


async def test_definitions_import_and_match_declarations() -> None:
    vhost = f"defs-{Path(tempfile.mktemp()).name}"
    await asyncio.to_thread(rabbitmqctl, "add_vhost", vhost)
    try:
        await asyncio.to_thread(
            rabbitmqctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"
        )
        document = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
        for kind in ("exchanges", "queues", "bindings"):
            for item in document[kind]:
                item["vhost"] = vhost
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(document, handle)
        Path(handle.name).chmod(0o644)  # rabbitmqctl reads it as the rabbitmq user
        await asyncio.to_thread(rabbitmqctl, "import_definitions", handle.name)

        settings = ServiceSettings()
        connection = await aio_pika.connect(amqp_url(vhost))
        async with connection:
            # The import finishes asynchronously: wait until every queue is there.
            async def all_imported() -> bool:
                for item in document["queues"]:
                    probe = await connection.channel()
                    try:
                        await probe.declare_queue(item["name"], passive=True)
                    except aio_pika.exceptions.ChannelClosed:
                        return False
                    await probe.close()
                return True

            await wait_for(all_imported, message="definitions imported")
            channel = await connection.channel(publisher_confirms=True)
            exchange = await declare_exchange(channel, settings.exchange_name)
            for subscriptions in BY_SERVICE.values():
                for sub in subscriptions:
                    queue = await declare_subscription(
                        channel,
                        exchange,
                        sub,
                        retry_delays=settings.retry_delays,
                        delivery_limit=settings.delivery_limit,
                    )
                    assert queue.name == sub.queue
            # The imported bindings route: an event reaches bookings' and notifications' queues.
            await exchange.publish(aio_pika.Message(b"{}"), "catalogue.event.published")
            for name in ("bookings.catalogue-events", "notifications.catalogue-events"):
                queue = await channel.declare_queue(name, passive=True)
                assert queue.declaration_result.message_count == 1, name
    finally:
        await asyncio.to_thread(rabbitmqctl, "delete_vhost", vhost)
