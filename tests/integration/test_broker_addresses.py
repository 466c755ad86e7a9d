"""Several broker addresses: a process moves to a live node by itself when its node goes, and a
publish whose confirm never came back leaves its outbox row unpublished, to be sent again (the
inbox makes the repeat harmless). Each node here is a TCP proxy the test owns in front of the
shared broker, so a node can be cut or silenced without touching the broker itself."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from yarl import URL

from shared.db import Database, make_engine
from shared.messaging.broker import Broker
from shared.messaging.publisher import Publisher
from shared.messaging.relay import OutboxRelay
from shared.messaging.schema import outbox_table
from shared.migrations import migrate
from tests.support.infra import AMQP_HOST, AMQP_PORT, PG_HOST, PG_PORT, Infra, amqp_url, pg_url
from tests.support.proxy import CuttableProxy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def proxies() -> AsyncIterator[list[CuttableProxy]]:
    made = [await CuttableProxy(AMQP_HOST, AMQP_PORT).start() for _ in range(2)]
    try:
        yield made
    finally:
        for proxy in made:
            await proxy.stop()


def node_list(infra: Infra, proxies: list[CuttableProxy]) -> str:
    first = amqp_url(infra.vhost, host="127.0.0.1", port=proxies[0].port)
    return ",".join([first, *(f"127.0.0.1:{p.port}" for p in proxies[1:])])


def port_of(address: str) -> int:
    return int(URL(address).port or 0)


async def test_a_lost_node_means_a_reconnect_to_the_next_one(
    infra: Infra, proxies: list[CuttableProxy]
) -> None:
    broker = Broker(node_list(infra, proxies), name="addresses-test")
    broker.start()
    queue_name = f"addresses-{uuid.uuid4().hex[:8]}"
    received: list[bytes] = []
    try:
        connection = await wait_for(broker.wait_connected, timeout=20, message="connected")
        assert port_of(connection.current_address) == proxies[0].port
        channel = await broker.channel(prefetch=10)
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received.append(message.body)
            await message.ack()

        await queue.consume(on_message)
        for lost, live in ((0, 1), (1, 0)):
            await proxies[lost].cut()
            await proxies[live].restore()
            await wait_for(
                lambda live=live: (
                    broker.is_ready  # type: ignore[misc]
                    and port_of(connection.current_address) == proxies[live].port
                ),
                timeout=30,
                message=f"reconnected through node {live}",
            )
            body = f"via {live}".encode()
            publish_channel = await broker.channel()
            await publish_channel.default_exchange.publish(aio_pika.Message(body), queue_name)
            await publish_channel.close()
            # The consumer aio-pika restored on the new node gets it.
            await wait_for(lambda body=body: body in received, timeout=20, message="delivered")
    finally:
        cleanup = await aio_pika.connect(infra.amqp_url)
        async with cleanup:
            await (await cleanup.channel()).queue_delete(queue_name)
        await broker.close()


@pytest_asyncio.fixture(loop_scope="session")
async def outbox_db() -> AsyncIterator[Database]:
    """A database of its own, so no other test's outbox rows share the relay's batches."""
    name = f"t_addr_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        await migrate("bookings", pg_url(name))
        db = Database(make_engine(pg_url(name), pool_size=2, max_overflow=0), producer="test")
        yield db
        await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_an_unconfirmed_publish_stays_in_the_outbox_and_its_repeat_is_harmless(
    infra: Infra, proxies: list[CuttableProxy], outbox_db: Database
) -> None:
    routing_key = f"test.addresses.{uuid.uuid4().hex[:8]}"
    setup = await aio_pika.connect(infra.amqp_url)
    channel = await setup.channel()
    exchange = await channel.declare_exchange("gm.events", "topic", durable=True)
    queue = await channel.declare_queue(
        routing_key, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await queue.bind(exchange, routing_key)
    broker = Broker(node_list(infra, proxies), name="confirms-test")
    broker.start()
    relay = OutboxRelay(outbox_db, Publisher(broker, "gm.events", producer="test", timeout=1.5))
    message_id = uuid.uuid4()

    async def outbox_row() -> sa.Row[tuple[object, ...]] | None:
        async with outbox_db.engine.connect() as conn:
            query = sa.select(outbox_table).where(outbox_table.c.message_id == message_id)
            return (await conn.execute(query)).one_or_none()

    try:
        await wait_for(broker.wait_connected, timeout=20, message="connected")
        async with outbox_db.engine.begin() as conn:
            await conn.execute(
                sa.insert(outbox_table).values(
                    message_id=uuid.uuid4(), routing_key=routing_key, body=b"{}", correlation_id="w"
                )
            )
        assert await relay.publish_batch() == 1  # the happy path, and a channel that is open
        async with outbox_db.engine.begin() as conn:
            await conn.execute(
                sa.insert(outbox_table).values(
                    message_id=message_id, routing_key=routing_key, body=b"{}", correlation_id="c"
                )
            )
        # The node takes the publish and goes silent: its confirm never comes back.
        await proxies[0].stall()
        with pytest.raises(RuntimeError, match="not confirmed"):
            await relay.publish_batch()
        row = await outbox_row()
        assert row is not None and row.attempts == 1 and row.last_error is not None
        # The node is gone for good; the relay goes on, through the next node.
        await proxies[0].cut()

        async def relayed() -> bool:
            try:
                await relay.publish_batch()
            except RuntimeError:
                return False
            return await outbox_row() is None  # deleted once the broker confirmed it

        await wait_for(relayed, timeout=30, interval=0.5, message="the row sent again")
        # The broker had the first copy after all: two copies of one message, one effect.
        copies = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            copies.append(message)
        ours = [m for m in copies if m.message_id == str(message_id)]
        assert len(ours) == 2
        effects = 0
        for message in ours:
            async with outbox_db.unit_of_work() as uow:
                if await uow.first_delivery("addresses-test", uuid.UUID(message.message_id)):
                    effects += 1
                await uow.commit()
            await message.ack()
        assert effects == 1
        for message in copies:
            if message not in ours:
                await message.ack()
    finally:
        await broker.close()
        await channel.queue_delete(routing_key)
        await setup.close()
