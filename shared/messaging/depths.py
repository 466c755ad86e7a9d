"""How deep each consumer queue is, from the broker itself.

Without the management plugin the only cheap question AMQP answers is a passive queue declare:
its reply carries the ready message count and the consumer count. One declare per queue (and
per parked queue) every `queue_depth_interval` seconds feeds the gauges on /metrics; the ops
API asks the same function for a fresh answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractConnection

from shared.logging import get_logger
from shared.messaging.topology import parked_queue_name
from shared.metrics import QUEUE_CONSUMERS, QUEUE_PARKED, QUEUE_READY, SERVICE_READY

log = get_logger(__name__)


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    # None when the queue does not exist (yet): its consumers never started.
    ready: int | None
    consumers: int | None
    parked: int | None


async def _declared(connection: AbstractConnection, name: str) -> tuple[int, int] | None:
    # A channel per declare: a passive declare of a missing queue closes its channel.
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
        result = queue.declaration_result
        return int(result.message_count or 0), int(result.consumer_count or 0)
    except aio_pika.exceptions.ChannelClosed:
        return None
    finally:
        with contextlib.suppress(Exception):
            await channel.close()


async def queue_depths(connection: AbstractConnection, queues: Sequence[str]) -> list[QueueDepth]:
    found = []
    for queue in queues:
        main = await _declared(connection, queue)
        parked = await _declared(connection, parked_queue_name(queue))
        found.append(
            QueueDepth(
                queue=queue,
                ready=main[0] if main else None,
                consumers=main[1] if main else None,
                parked=parked[0] if parked else None,
            )
        )
    return found


def show(depths: Sequence[QueueDepth]) -> None:
    for depth in depths:
        if depth.ready is not None:
            QUEUE_READY.labels(depth.queue).set(depth.ready)
            QUEUE_CONSUMERS.labels(depth.queue).set(depth.consumers or 0)
        if depth.parked is not None:
            QUEUE_PARKED.labels(depth.queue).set(depth.parked)


class DepthSampler:
    """A background loop: every `interval` seconds, the depth of `queues` and the readiness
    checks, onto the gauges. A failed sample is logged and tried again next time."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[AbstractConnection]],
        queues: Sequence[str],
        readiness: Callable[[], Awaitable[dict[str, str]]],
        *,
        interval: float,
    ) -> None:
        self._connect = connect
        self._queues = list(queues)
        self._readiness = readiness
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        # Other cheap periodic upkeep of a service's gauges, run on the same timer.
        self.also: list[Callable[[], Awaitable[None]]] = []

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="depth-sampler")

    async def stop(self) -> None:
        # The flag as well as the cancel: a broker call can swallow a cancellation (aiormq
        # turns it into its own error), and the loop must end anyway.
        self._stopped.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)

    async def sample(self) -> None:
        for check, value in (await self._readiness()).items():
            SERVICE_READY.labels(check).set(1 if value == "ok" else 0)
        if self._queues:
            connection = await asyncio.wait_for(self._connect(), timeout=self._interval)
            show(await asyncio.wait_for(queue_depths(connection, self._queues), timeout=10))
        for upkeep in self.also:
            await upkeep()

    async def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                await self.sample()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopped.is_set():
                    return
                log.warning("queue_depth.sample_failed", error=str(exc) or type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=self._interval)
