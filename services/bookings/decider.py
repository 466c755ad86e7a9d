"""A thread with its own event loop and its own small connection pool, where booking batches
run their transaction.

Why: a batch holds the event's row lock for a few round trips, and on the HTTP event loop
every reply from the database waits behind whatever HTTP work is queued (parsing, answering),
several milliseconds under a rush, so the lock was held mostly while the process was busy with
other things. On this thread a reply resumes the batch at once (the thread only waits for the
GIL, for at most the switch interval, shortened here). Requests still queue and get their
answers on the HTTP loop; only the transaction moves.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from services.bookings.settings import BookingsSettings
from services.bookings.usecases.locking import bound_lock_waits
from shared.db import Database, make_engine

T = TypeVar("T")
# How long the HTTP thread may keep the GIL while the decider waits for it (default 5 ms).
SWITCH_INTERVAL = 0.0005


class DeciderThread:
    def __init__(self, settings: BookingsSettings, *, on_outbox_commit: Callable[[], None]) -> None:
        self._settings = settings
        self._on_outbox_commit = on_outbox_commit
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="booking-decider", daemon=True)
        self.db: Database | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def start(self) -> None:
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()
        self.db = self.call_blocking(self._open)

    def _open(self) -> Database:
        db = Database(
            make_engine(self._settings.database_url, pool_size=2, max_overflow=2),
            producer=self._settings.service_name,
        )
        bound_lock_waits(db, self._settings)
        # The relay lives on the HTTP loop: `on_outbox_commit` wakes it there (see `wake_on`).
        db.on_outbox_commit(self._on_outbox_commit)
        return db

    def call_blocking(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout=10)

    async def run(self, work: Callable[[Database], Awaitable[T]]) -> T:
        """Run `work(db)` on the decider's loop; await its result from the calling loop."""
        assert self.db is not None
        db = self.db
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work(db), self._loop))

    async def stop(self) -> None:
        if not self._thread.is_alive():
            return
        if self.db is not None:
            db = self.db
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(db.dispose(), self._loop))
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 5)
        self._loop.close()


def wake_on(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> Callable[[], None]:
    """A callback that runs `callback` on `loop`, callable from any thread."""
    return lambda: loop.call_soon_threadsafe(callback)
