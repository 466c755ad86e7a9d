"""Fault tests break things on purpose: each gets its own broker node or a proxy it can cut,
never the machine's shared servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.rabbit_node import RabbitCluster, RabbitNode
from tests.support.system import System, running_system


@pytest_asyncio.fixture(loop_scope="session")
async def rabbit_node() -> AsyncIterator[RabbitNode]:
    node = RabbitNode()
    try:
        # Started inside the try: a start that times out may still leave a booting node.
        yield await node.start()
    finally:
        await node.destroy()


@pytest_asyncio.fixture(loop_scope="session")
async def system_on_own_broker(request, rabbit_node: RabbitNode) -> AsyncIterator[System]:  # type: ignore[no-untyped-def]
    """The three services as processes, on this test's own RabbitMQ node."""
    async with running_system(f"faults/{request.node.name}", amqp_url=rabbit_node.url) as made:
        yield made


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def rabbit_cluster() -> AsyncIterator[RabbitCluster]:
    """One three-node cluster for the session's cluster tests (about 20-30 s to form here)."""
    made = RabbitCluster()
    try:
        yield await made.start()
    finally:
        await made.destroy()


@pytest_asyncio.fixture(loop_scope="session")
async def cluster(rabbit_cluster: RabbitCluster) -> RabbitCluster:
    """The cluster with every node running: a node an earlier test stopped rejoins first."""
    await rabbit_cluster.restart_stopped()
    return rabbit_cluster
