"""Fault tests break things on purpose: each gets its own broker node or a proxy it can cut,
never the machine's shared servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.rabbit_node import RabbitNode
from tests.support.system import System, running_system


@pytest_asyncio.fixture(loop_scope="session")
async def rabbit_node() -> AsyncIterator[RabbitNode]:
    node = await RabbitNode().start()
    try:
        yield node
    finally:
        await node.destroy()


@pytest_asyncio.fixture(loop_scope="session")
async def system_on_own_broker(request, rabbit_node: RabbitNode) -> AsyncIterator[System]:  # type: ignore[no-untyped-def]
    """The three services as processes, on this test's own RabbitMQ node."""
    async with running_system(f"faults/{request.node.name}", amqp_url=rabbit_node.url) as made:
        yield made
