"""What each bookings process keeps besides the shared runtime: the per-event booking batcher,
the short-lived availability cache, the partner-key cache, and a little housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from structlog.contextvars import unbind_contextvars

from services.bookings.batcher import Batcher
from services.bookings.decider import DeciderThread, wake_on
from services.bookings.domain.batch import BookingRequest, Outcome
from services.bookings.persistence import idempotency
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.booking import book_batch
from services.bookings.usecases.locking import bound_lock_waits
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)


class TtlCache:
    """A per-process cache with a short time to live. Several processes each hold their own,
    so a reader may see a count up to `ttl` old; decisions never read it."""

    def __init__(self, ttl: float, *, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[object, tuple[float, object]] = {}

    def get(self, key: object) -> object | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: object, value: object) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def invalidate(self, key: object) -> None:
        self._entries.pop(key, None)


class SingleFlight:
    """Concurrent callers asking for the same key share one load: when a cached availability
    expires under a rush, one query refreshes it instead of one per waiting request."""

    def __init__(self) -> None:
        self._loading: dict[object, asyncio.Future[Any]] = {}

    async def load(self, key: object, loader: Callable[[], Awaitable[Any]]) -> Any:
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            result = await loader()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._loading[key]


class BookingsProcess:
    def __init__(self, db: Database, settings: BookingsSettings) -> None:
        self.db = db
        self.settings = settings
        self.availability = TtlCache(settings.availability_cache_seconds)
        self.partner_keys = TtlCache(settings.partner_cache_seconds)
        self.loads = SingleFlight()
        self.batcher: Batcher[uuid.UUID, BookingRequest, Outcome] = Batcher(
            self._decide,
            max_batch=settings.booking_batch_size,
            max_queue=settings.booking_queue_limit,
        )
        self._housekeeping: asyncio.Task[None] | None = None
        bound_lock_waits(db, settings)
        self.decider: DeciderThread | None = None
        if settings.decide_in_thread:
            loop = asyncio.get_running_loop()
            self.decider = DeciderThread(
                settings, on_outbox_commit=wake_on(loop, db.outbox_committed)
            )

    async def _decide(
        self, event_id: uuid.UUID, requests: list[BookingRequest]
    ) -> list[Outcome | BaseException]:
        started = time.perf_counter()
        try:
            if self.decider is None:
                return await book_batch(self.db, self.settings, event_id, requests)
            return await self.decider.run(
                lambda db: book_batch(db, self.settings, event_id, requests)
            )
        finally:
            self.availability.invalidate(event_id)
            unbind_contextvars("correlation_id", "message_id")
            log.info(
                "booking.batch_decided",
                event_id=str(event_id),
                size=len(requests),
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )

    async def book(self, event_id: uuid.UUID, request: BookingRequest) -> Outcome:
        return await self.batcher.submit(event_id, request)

    def start(self) -> None:
        if self.decider is not None:
            self.decider.start()
        self._housekeeping = asyncio.create_task(
            self._purge_forever(), name="bookings-housekeeping"
        )

    async def stop(self) -> None:
        await self.batcher.drain(timeout=self.settings.shutdown_grace)
        if self.decider is not None:
            await self.decider.stop()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping

    async def _purge_forever(self) -> None:
        ttl = timedelta(hours=self.settings.idempotency_ttl_hours)
        while True:
            await asyncio.sleep(600)
            try:
                purged = await idempotency.purge_expired(self.db, ttl)
                if purged:
                    log.info("idempotency.purged", count=purged)
            except Exception as exc:
                log.warning("idempotency.purge_failed", error=str(exc))
