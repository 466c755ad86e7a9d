"""A handler under way when the broker closes its connection finishes its work.

A closing channel cancels the tasks of its deliveries. A handler cancelled just after its
commit would skip what it does after it (the confirmation hot path sends the email it queued
there), and the redelivered message, its inbox row found, would skip it too: the email then
waited for its claim's lease to lapse (a minute) instead of going at once. Here the broker
closes the test's connections (as a stopping node does) while a handler waits: the first
invocation still reaches its end, and the message, never acked, comes back once and is acked.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio

from shared.contracts import Envelope
from shared.messaging.consumer import ConsumerRunner
from shared.runtime import Runtime
from tests.conftest import settings_for
from tests.integration.test_consumer_batches import TYPE, envelope, queued, settled, subscription
from tests.support.infra import Infra, rabbitmqctl
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = Runtime(settings_for("bookings", infra, run_workers=False))
    rt.broker.start()
    await rt.broker.wait_connected()
    try:
        yield rt
    finally:
        await rt.stop()


class Gated:
    """A handler that waits at a gate; which invocation reached its end, by number."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = 0
        self.finished: list[int] = []

    async def one(self, _: Envelope) -> None:
        self.started += 1
        invocation = self.started
        await self.gate.wait()
        self.finished.append(invocation)

    async def many(self, envelopes: Sequence[Envelope]) -> None:
        await self.one(envelopes[0])


async def close_connections(infra: Infra) -> None:
    await asyncio.to_thread(
        rabbitmqctl, "close_all_connections", "--vhost", infra.vhost, "test: node stopping"
    )


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batched"])
async def test_a_handler_under_way_when_its_channel_closes_reaches_its_end(
    runtime: Runtime, infra: Infra, batched: bool
) -> None:
    sub = subscription(f"channel-loss-{uuid.uuid4().hex[:4]}")
    gated = Gated()
    await queued(runtime, sub, [envelope("under way")])
    runner = ConsumerRunner(
        runtime.broker,
        runtime.publisher,
        sub,
        {TYPE: gated.one},
        exchange_name=runtime.settings.exchange_name,
        prefetch=4,
        retry_delays=[0.1],
        delivery_limit=20,
        batch=gated.many if batched else None,
    )
    await runner.start()
    try:
        await wait_for(lambda: gated.started == 1, message="the handler under way")
        await close_connections(infra)
        # The redelivery on the reconnected channel waits at the same gate.
        await wait_for(lambda: gated.started == 2, timeout=60, message="the message redelivered")
        gated.gate.set()
        await wait_for(lambda: sorted(gated.finished) == [1, 2], message="both invocations ended")
        assert await wait_for(lambda: settled(runtime, runner), message="the redelivery acked")
        assert gated.started == 2
    finally:
        await runner.stop(grace=2)
