"""Fault tests break things on purpose: each gets its own broker node or a proxy it can cut,
never the machine's shared servers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.e2e.conftest import ARTIFACTS, System
from tests.support.infra import create_infra, drop_infra
from tests.support.rabbit_node import RabbitNode
from tests.support.smtp import SmtpSink


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
    infra = await create_infra()
    infra.amqp_url = rabbit_node.url
    smtp = await SmtpSink().start()
    made = System(infra, smtp, {}, ARTIFACTS / "faults" / f"{request.node.name}-{infra.tag}")
    try:
        for service in ("catalogue", "bookings", "notifications"):
            made.start(service)
        for process in made.services.values():
            await process.wait_ready()
        yield made
    finally:
        made.stop_all()
        await smtp.stop()
        await drop_infra(infra)
