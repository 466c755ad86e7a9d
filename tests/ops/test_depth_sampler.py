"""The depth sampler stops when told, even when a broker call swallows its cancellation (as
aiormq does, turning it into its own error): a service's shutdown must not hang on it."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.messaging.depths import DepthSampler

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_stop_ends_the_loop_even_if_a_call_swallows_the_cancel() -> None:
    started = asyncio.Event()

    async def readiness() -> dict[str, str]:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RuntimeError("channel closed") from None  # what a broker client may do
        return {}

    async def never() -> object:
        raise AssertionError("no queues, so no connection is needed")

    sampler = DepthSampler(never, [], readiness, interval=30)  # type: ignore[arg-type]
    sampler.start()
    await asyncio.wait_for(started.wait(), timeout=30)
    begun = time.monotonic()
    # A loop that swallowed the cancel would sleep its 30 s interval; anything well short of
    # that is the fix working, with room for a busy machine (5 s was a window).
    await asyncio.wait_for(sampler.stop(), timeout=60)
    assert sampler._task is not None and sampler._task.done()
    assert time.monotonic() - begun < 20
