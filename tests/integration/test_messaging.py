"""The messaging edge against the real broker and database: outbox relay with confirms, the
consumer runner's retry-then-park, replay of parked messages, and inbox idempotency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import aio_pika
import pytest
import pytest_asyncio
import sqlalchemy as sa

from shared.contracts import Envelope, EventState, new_envelope
from shared.db import Database, make_engine
from shared.messaging.consumer import ConsumerRunner
from shared.messaging.handlers import transactional
from shared.messaging.parked import ParkedMessage, list_parked, replay_parked
from shared.messaging.publisher import Outgoing, Publisher
from shared.messaging.relay import OutboxRelay
from shared.messaging.schema import inbox_table, outbox_table
from shared.messaging.topology import Subscription, declare_exchange
from shared.runtime import Runtime
from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def event_state(**overrides: object) -> EventState:
    values: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "version": 1,
        "title": "T",
        "starts_at": "2030-01-01T09:00:00+00:00",
        "ends_at": "2030-01-01T17:00:00+00:00",
        "capacity": 5,
    }
    values.update(overrides)
    return EventState.model_validate(values)


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    # The bookings database stands in for any service's: outbox and inbox are the same everywhere.
    # The production default: a row is deleted once the broker confirms it.
    rt = Runtime(settings_for("bookings", infra, run_workers=False, outbox_retention=0))
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


async def bound_queue(rt: Runtime, routing_key: str) -> aio_pika.abc.AbstractQueue:
    channel = await rt.broker.channel()
    exchange = await declare_exchange(channel, rt.settings.exchange_name)
    queue = await channel.declare_queue(f"probe-{uuid.uuid4().hex[:8]}", exclusive=True)
    await queue.bind(exchange, routing_key)
    return queue


async def test_outbox_rows_are_published_then_deleted(runtime: Runtime) -> None:
    """Asserts on what reached the queue and on the row, not on who published it: another
    relay of this session's bookings database (a running process fixture) may take the row
    first, and on a busy machine it often does."""
    key = "catalogue.event.published"
    queue = await bound_queue(runtime, key)
    async with runtime.db.unit_of_work() as uow:
        envelope = uow.emit(key, event_state())
        await uow.commit()
    await runtime.relay.publish_batch()  # this relay's pass; 0 if another relay was first
    message = await wait_for(lambda: queue.get(fail=False), timeout=30, message="published message")
    assert Envelope.from_json(message.body).message_id == envelope.message_id
    assert message.headers["x-correlation-id"] == envelope.correlation_id

    async def deleted() -> bool:
        async with runtime.db.engine.connect() as conn:
            found = await conn.scalar(
                sa.select(sa.func.count()).where(outbox_table.c.message_id == envelope.message_id)
            )
        return found == 0

    # Deleted after the broker's confirm, which can come just after the consumer saw it.
    assert await wait_for(deleted, timeout=30, message="row deleted once published")
    # Published once: nothing else of it reaches the queue.
    assert await queue.get(fail=False) is None


async def test_rolled_back_work_publishes_nothing(runtime: Runtime) -> None:
    async with runtime.db.unit_of_work() as uow:
        envelope = uow.emit("catalogue.event.updated", event_state())
        # leaving without commit
    async with runtime.db.engine.connect() as conn:
        count = (
            await conn.execute(
                sa.select(sa.func.count()).where(outbox_table.c.message_id == envelope.message_id)
            )
        ).scalar_one()
    assert count == 0


async def _publish(rt: Runtime, envelope: Envelope) -> None:
    await rt.publisher.publish(
        envelope.type,
        envelope.to_json(),
        message_id=str(envelope.message_id),
        correlation_id=envelope.correlation_id,
    )


async def _parked(runtime: Runtime, queue: str) -> list[ParkedMessage]:
    return await list_parked(await runtime.broker.wait_connected(), [queue])


async def test_failing_message_is_retried_then_parked_while_others_flow(runtime: Runtime) -> None:
    sub = Subscription(f"test.poison-{uuid.uuid4().hex[:6]}", ("catalogue.event.updated",))
    seen: list[str] = []
    attempts: dict[str, int] = {}

    async def handler(envelope: Envelope) -> None:
        state = EventState.model_validate(envelope.payload)
        if state.title == "poison":
            attempts[str(envelope.message_id)] = attempts.get(str(envelope.message_id), 0) + 1
            raise ValueError("this handler always fails for poison")
        seen.append(state.title)

    runner = ConsumerRunner(
        runtime.broker,
        runtime.publisher,
        sub,
        {"catalogue.event.updated": handler},
        exchange_name=runtime.settings.exchange_name,
        prefetch=4,
        retry_delays=[0.1, 0.2],
        delivery_limit=20,
    )
    await runner.start()
    try:
        poison = new_envelope("catalogue.event.updated", event_state(title="poison"), producer="t")
        await _publish(runtime, poison)
        for i in range(5):
            await _publish(
                runtime,
                new_envelope("catalogue.event.updated", event_state(title=f"ok-{i}"), producer="t"),
            )
        await wait_for(lambda: len(seen) == 5, message="healthy messages handled")
        parked = await wait_for(
            lambda: _parked(runtime, sub.queue),
            timeout=10,
            message="poison parked",
        )
        assert attempts[str(poison.message_id)] == 3  # first try + two retries
        assert [p.message_id for p in parked] == [str(poison.message_id)]
        assert "always fails" in parked[0].error and parked[0].attempts == 3
        # Listing does not consume: it is still there.
        assert len(await _parked(runtime, sub.queue)) == 1

        # Replay after a "fix": the handler now accepts it, and the parked queue empties.
        async def fixed(envelope: Envelope) -> None:
            seen.append("replayed")

        runner._handlers["catalogue.event.updated"] = fixed
        replayed = await replay_parked(await runtime.broker.wait_connected(), [sub.queue], None)
        assert [p.message_id for p in replayed] == [str(poison.message_id)]
        await wait_for(lambda: "replayed" in seen, message="replayed message handled")
        assert await _parked(runtime, sub.queue) == []
    finally:
        await runner.stop(grace=2)


async def test_unparseable_message_is_parked_not_lost(runtime: Runtime) -> None:
    sub = Subscription(f"test.garbage-{uuid.uuid4().hex[:6]}", ("catalogue.event.cancelled",))
    runner = ConsumerRunner(
        runtime.broker,
        runtime.publisher,
        sub,
        {},
        exchange_name=runtime.settings.exchange_name,
        prefetch=4,
        retry_delays=[0.1],
        delivery_limit=20,
    )
    await runner.start()
    try:
        await runtime.publisher.publish(
            "catalogue.event.cancelled", b"{not json", message_id="garbage-1", correlation_id="c"
        )
        parked = await wait_for(lambda: _parked(runtime, sub.queue), message="garbage parked")
        assert parked[0].message_id == "garbage-1"
        assert "ValidationError" in parked[0].error and "json" in parked[0].error.lower()
        assert parked[0].attempts == 2  # first try + one retry
    finally:
        await runner.stop(grace=2)


async def test_parked_error_header_carries_no_personal_data(runtime: Runtime) -> None:
    """`x-last-error` travels with the message to whoever lists the parked queue: a handler
    error quoting an address (as an SMTP refusal does) is masked, and a database error quoting
    a value is reduced to its type and SQLSTATE."""
    sub = Subscription(f"test.private-{uuid.uuid4().hex[:6]}", ("catalogue.event.updated",))
    address = "o'brien!x@exämple.org"

    async def handler(envelope: Envelope) -> None:
        state = EventState.model_validate(envelope.payload)
        if state.title == "smtp":
            raise RuntimeError(f"550 5.1.1 <{address}>: mailbox unavailable")
        async with runtime.db.engine.connect() as conn:
            await conn.execute(
                sa.text("SELECT CAST(CAST(:v AS text) AS integer)"),
                {"v": "Jane Hepplewhite, wheelchair user"},
            )

    runner = ConsumerRunner(
        runtime.broker,
        runtime.publisher,
        sub,
        {"catalogue.event.updated": handler},
        exchange_name=runtime.settings.exchange_name,
        prefetch=4,
        retry_delays=[0.1],
        delivery_limit=20,
    )
    await runner.start()
    try:
        for title in ("smtp", "database"):
            envelope = new_envelope(
                "catalogue.event.updated", event_state(title=title), producer="t"
            )
            await _publish(runtime, envelope)

        async def both_parked() -> list[ParkedMessage] | None:
            found = await _parked(runtime, sub.queue)
            return found if len(found) == 2 else None

        parked = await wait_for(
            both_parked,
            timeout=30,
            message="both messages parked",
        )
        errors = sorted(p.error for p in parked)
        assert "DBAPIError(sqlstate=22P02)" in errors, errors
        assert any(e.startswith("RuntimeError: 550 5.1.1 <o***@e***.org>") for e in errors), errors
        for error in errors:
            for secret in ("brien", "xn--", "exämple", "Hepplewhite", "wheelchair"):
                assert secret not in error, error
    finally:
        await runner.stop(grace=2)


async def test_redelivered_message_has_one_effect(runtime: Runtime) -> None:
    effects: list[uuid.UUID] = []

    async def effect(state: EventState, uow) -> None:  # type: ignore[no-untyped-def]
        effects.append(state.event_id)

    handle = transactional(runtime.db, "test-consumer", effect)
    envelope = new_envelope("catalogue.event.published", event_state(), producer="t")
    await asyncio.gather(handle(envelope), handle(envelope), handle(envelope))
    await handle(envelope)
    assert len(effects) == 1
    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(sa.func.count()).where(inbox_table.c.message_id == envelope.message_id)
            )
        ).scalar_one()
    assert rows == 1


class CountingPublisher(Publisher):
    """The runtime's publisher, recording which messages went out in each batch."""

    def __init__(self, inner: Publisher) -> None:
        self._inner = inner
        self.batches: list[set[str]] = []

    async def publish_many(self, messages: Sequence[Outgoing]) -> list[BaseException | None]:
        self.batches.append({m.message_id for m in messages})
        return await self._inner.publish_many(messages)


async def test_a_lingering_relay_publishes_the_commits_of_its_linger_in_one_batch(
    runtime: Runtime, infra: Infra
) -> None:
    # The catalogue's database: no relay of this module publishes its outbox.
    db = Database(make_engine(infra.database_urls["catalogue"], pool_size=2), producer="t")
    publisher = CountingPublisher(runtime.publisher)
    # A linger far longer than four commits take even on a busy machine, so they always
    # share one batch (at 0.5 s with pauses between them, a slow machine could split it).
    relay = OutboxRelay(db, publisher, poll_interval=30, linger=2.0)
    key = "catalogue.event.updated"
    queue = await bound_queue(runtime, key)
    relay.start()
    try:
        emitted = []
        for _ in range(4):  # four commits, each waking the relay, well inside its linger
            async with db.unit_of_work() as uow:
                emitted.append(str(uow.emit(key, event_state()).message_id))
                await uow.commit()
        arrived: set[str] = set()

        async def all_arrived() -> bool:
            while (message := await queue.get(fail=False)) is not None:
                arrived.add(Envelope.from_json(message.body).message_id.hex)
            return {uuid.UUID(m).hex for m in emitted} <= arrived

        await wait_for(all_arrived, timeout=30, message="the four messages published")
        [batch] = [b for b in publisher.batches if b & set(emitted)]
        assert set(emitted) <= batch
    finally:
        await relay.stop()
        await db.dispose()
