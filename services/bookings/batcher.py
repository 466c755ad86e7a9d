"""Per-key batching of concurrent work: requests for one event are decided together.

Each submitted item waits on a future. The first item for a key starts one drain task for that
key; while that task's transaction runs, later items queue up, and the next round takes them
all (up to `max_batch`). Under no load a request is decided alone at once; under a rush the
batch grows by itself, so one short transaction and one commit serve many bookings instead of
each booking holding the event's row lock across its own commit.

The batcher only orders and groups: correctness across processes comes from the database row
lock each round takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from shared.errors import Busy
from shared.logging import get_logger

K = TypeVar("K", bound=Hashable)
I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

# One result per item, in order; an exception in the list fails that item alone.
Runner = Callable[[K, list[I]], Awaitable[list[R | BaseException]]]
log = get_logger(__name__)


class Batcher(Generic[K, I, R]):
    def __init__(self, run: Runner[K, I, R], *, max_batch: int, max_queue: int) -> None:
        self._run = run
        self._max_batch = max_batch
        self._max_queue = max_queue
        self._queues: dict[K, deque[tuple[I, asyncio.Future[R]]]] = {}
        self._tasks: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, item: I) -> R:
        queue = self._queues.setdefault(key, deque())
        if len(queue) >= self._max_queue:
            raise Busy("too many requests for this event at once; try again in a moment")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        queue.append((item, future))
        if key not in self._tasks:
            # A fresh context: the drain task serves many requests and must not carry the
            # first one's correlation id into the others' log lines and messages.
            self._tasks[key] = asyncio.create_task(
                self._drain(key, queue), name=f"batch-{key}", context=contextvars.Context()
            )
        return await future

    async def _drain(self, key: K, queue: deque[tuple[I, asyncio.Future[R]]]) -> None:
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), self._max_batch))]
                await self._decide(key, batch)
        finally:
            # No await between the last emptiness check and here: a submit cannot slip in.
            del self._tasks[key]
            self._queues.pop(key, None)
            while queue:  # only when cancelled (shutdown): nobody is left waiting forever
                _, future = queue.popleft()
                if not future.done():
                    future.set_exception(Busy("the service is stopping; try again"))

    async def _decide(self, key: K, batch: list[tuple[I, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run(key, [item for item, _ in batch])
        except Exception as exc:
            results = [exc] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the request went away; its booking stands (Idempotency-Key)
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def drain(self, timeout: float) -> None:
        """Let queued work finish (at shutdown), for at most `timeout` seconds."""
        tasks = list(self._tasks.values())
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
