"""The consumer runner's batches against the real broker and database: what is already
delivered is applied in one transaction and acked after its commit; a bad message inside a
batch is retried and parked alone while the others are applied once; a redelivered batch, or
one whose ack never reached the broker, changes nothing the second time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
import sqlalchemy as sa

from shared.contracts import Envelope, EventState, new_envelope
from shared.db import UnitOfWork
from shared.messaging.consumer import BatchHandler, ConsumerRunner
from shared.messaging.handlers import transactional_batch, transactional_table
from shared.messaging.parked import list_parked
from shared.messaging.schema import inbox_table
from shared.messaging.topology import Subscription, declare_exchange, declare_subscription
from shared.runtime import Runtime
from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

TYPE = "catalogue.event.updated"
DELAYS = [0.1, 0.2]


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    # The bookings database stands in for any service's: the inbox is the same everywhere.
    rt = Runtime(settings_for("bookings", infra, run_workers=False))
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


def envelope(title: str) -> Envelope:
    state = EventState.model_validate(
        {
            "event_id": uuid.uuid4(),
            "version": 1,
            "title": title,
            "starts_at": "2030-01-01T09:00:00+00:00",
            "ends_at": "2030-01-01T17:00:00+00:00",
            "capacity": 5,
        }
    )
    return new_envelope(TYPE, state, producer="t")


class Effects:
    """A use case in both forms; `applied` holds what each call did, committed or not."""

    def __init__(self) -> None:
        self.applied: list[str] = []
        # Every batch the runner passed on, by title; every delivery a handler was given.
        self.batches: list[list[str]] = []
        self.delivered: list[uuid.UUID] = []

    async def one(self, state: EventState, uow: UnitOfWork) -> None:
        if state.title == "poison":
            raise ValueError("this handler always fails for poison")
        self.applied.append(state.title)

    async def many(self, states: Sequence[EventState], uow: UnitOfWork) -> None:
        for state in states:
            await self.one(state, uow)


def runner_for(
    rt: Runtime, sub: Subscription, effects: Effects, batch: BatchHandler, *, linger: float = 0.0
) -> ConsumerRunner:
    single = transactional_table(rt.db, sub.queue, {TYPE: effects.one})[TYPE]

    async def counted(envelopes: Sequence[Envelope]) -> None:
        effects.batches.append([e.payload["title"] for e in envelopes])
        effects.delivered.extend(e.message_id for e in envelopes)
        await batch(envelopes)

    async def alone(envelope: Envelope) -> None:
        effects.delivered.append(envelope.message_id)
        await single(envelope)

    return ConsumerRunner(
        rt.broker,
        rt.publisher,
        sub,
        {TYPE: alone},
        exchange_name=rt.settings.exchange_name,
        prefetch=20,
        retry_delays=DELAYS,
        delivery_limit=20,
        batch=counted,
        linger=linger,
    )


async def queued(rt: Runtime, sub: Subscription, envelopes: Sequence[Envelope]) -> None:
    """Declared and filled before any consumer starts, so the first delivery is a full batch."""
    channel = await (await rt.broker.wait_connected()).channel()
    exchange = await declare_exchange(channel, rt.settings.exchange_name)
    await declare_subscription(channel, exchange, sub, retry_delays=DELAYS, delivery_limit=20)
    await channel.close()
    for env in envelopes:
        await rt.publisher.publish(
            env.type, env.to_json(), message_id=str(env.message_id), correlation_id="c"
        )


async def claimed(rt: Runtime, consumer: str) -> set[uuid.UUID]:
    async with rt.db.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(inbox_table.c.message_id).where(inbox_table.c.consumer == consumer)
        )
        return {row[0] for row in rows}


async def settled(rt: Runtime, runner: ConsumerRunner) -> bool:
    """Nothing ready in the queue and nothing delivered still in the runner's hands."""
    channel = await (await rt.broker.wait_connected()).channel()
    try:
        queue = await channel.declare_queue(runner.queue_name, passive=True)
        return queue.declaration_result.message_count == 0 and runner._idle.is_set()
    finally:
        await channel.close()


def batch_for(rt: Runtime, sub: Subscription, effects: Effects) -> BatchHandler:
    return transactional_batch(rt.db, sub.queue, {TYPE: effects.one}, {TYPE: effects.many})


def subscription(name: str) -> Subscription:
    return Subscription(f"test.{name}-{uuid.uuid4().hex[:6]}", (TYPE,))


async def test_a_poison_message_in_a_batch_is_parked_alone(runtime: Runtime) -> None:
    sub = subscription("batch-poison")
    effects = Effects()
    healthy = [envelope(f"ok-{i}") for i in range(9)]
    poison = envelope("poison")
    await queued(runtime, sub, [*healthy[:4], poison, *healthy[4:]])
    runner = runner_for(runtime, sub, effects, batch_for(runtime, sub, effects))
    await runner.start()
    try:
        connection = await runtime.broker.wait_connected()
        parked = await wait_for(
            lambda: list_parked(connection, [sub.queue]), message="poison parked"
        )
        assert [p.message_id for p in parked] == [str(poison.message_id)]
        assert parked[0].attempts == len(DELAYS) + 1
        # The poison arrived inside a batch with others; that batch was rolled back and went
        # one by one: every healthy message committed exactly once, the poison never.
        assert any("poison" in titles and len(titles) > 1 for titles in effects.batches)
        assert await wait_for(lambda: settled(runtime, runner), message="queue drained")
        assert await claimed(runtime, sub.queue) == {e.message_id for e in healthy}
        assert sorted(effects.applied).count("ok-0") == 1
        assert set(effects.applied) == {e.payload["title"] for e in healthy}
    finally:
        await runner.stop(grace=2)


async def test_a_redelivered_batch_changes_nothing(runtime: Runtime) -> None:
    sub = subscription("batch-again")
    effects = Effects()
    first = [envelope(f"m-{i}") for i in range(6)]
    # The same messages again (a redelivery, or the publisher's retry after a lost confirm),
    # in the same batch as their first delivery and in a later one.
    await queued(runtime, sub, [*first, *first[:3]])
    runner = runner_for(runtime, sub, effects, batch_for(runtime, sub, effects))
    await runner.start()
    try:
        await wait_for(lambda: len(effects.delivered) >= 9, message="every delivery seen")
        assert await wait_for(lambda: settled(runtime, runner), message="queue drained")
        assert sorted(effects.applied) == sorted(e.payload["title"] for e in first)
        await queued(runtime, sub, first)
        await wait_for(lambda: len(effects.delivered) >= 15, message="redelivery seen")
        assert await wait_for(lambda: settled(runtime, runner), message="acked")
        assert any(len(titles) > 1 for titles in effects.batches[1:])
        assert sorted(effects.applied) == sorted(e.payload["title"] for e in first)
        assert await claimed(runtime, sub.queue) == {e.message_id for e in first}
    finally:
        await runner.stop(grace=2)


async def test_a_batch_committed_but_never_acked_is_redelivered_and_deduped(
    runtime: Runtime,
) -> None:
    sub = subscription("batch-crash")
    messages = [envelope(f"c-{i}") for i in range(8)]
    await queued(runtime, sub, messages)
    effects = Effects()
    batch = batch_for(runtime, sub, effects)
    crashing = runner_for(runtime, sub, effects, batch)

    async def commit_then_lose_the_channel(envelopes: Sequence[Envelope]) -> None:
        await batch(envelopes)
        # The process dies after the commit, before the ack: its channel goes away.
        assert crashing._channel is not None
        await crashing._channel.close()

    crashing._batch = commit_then_lose_the_channel
    await crashing.start()
    await wait_for(lambda: effects.applied, message="a batch committed")
    await crashing.stop(grace=2)
    committed = await claimed(runtime, sub.queue)
    assert committed and effects.applied

    after = Effects()
    runner = runner_for(runtime, sub, after, batch_for(runtime, sub, after))
    await runner.start()
    try:
        await wait_for(lambda: after.delivered, message="redelivery handled")
        assert await wait_for(lambda: settled(runtime, runner), message="all acked")
        # What the first process committed came back (its ack was lost) and was not applied
        # again.
        assert set(after.delivered) & committed
        assert not set(after.applied) & set(effects.applied)
        assert sorted(effects.applied + after.applied) == sorted(
            e.payload["title"] for e in messages
        )
        assert await claimed(runtime, sub.queue) == {e.message_id for e in messages}
    finally:
        await runner.stop(grace=2)


async def test_with_a_linger_messages_arriving_one_by_one_share_a_batch(runtime: Runtime) -> None:
    sub = subscription("batch-linger")
    effects = Effects()
    await queued(runtime, sub, [])
    runner = runner_for(runtime, sub, effects, batch_for(runtime, sub, effects), linger=1.0)
    await runner.start()
    try:
        trickle = [envelope(f"t-{i}") for i in range(5)]
        # Published one at a time to a consumer already waiting: without the linger each
        # would be applied (and acked) alone.
        await queued(runtime, sub, trickle)
        await wait_for(lambda: len(effects.applied) == len(trickle), message="all applied")
        assert await wait_for(lambda: settled(runtime, runner), message="acked")
        assert len(effects.batches) < len(trickle)
        assert sorted(effects.applied) == sorted(e.payload["title"] for e in trickle)
        assert await claimed(runtime, sub.queue) == {e.message_id for e in trickle}
    finally:
        await runner.stop(grace=2)
