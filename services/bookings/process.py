"""What each bookings process keeps besides the shared runtime: the per-event booking batcher,
the short-lived availability cache, the partner-key cache, and a little housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import timedelta

from services.bookings.batcher import Batcher
from services.bookings.domain.batch import BookingRequest, Outcome
from services.bookings.persistence import idempotency
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.booking import book_batch
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


class BookingsProcess:
    def __init__(self, db: Database, settings: BookingsSettings) -> None:
        self.db = db
        self.settings = settings
        self.availability = TtlCache(settings.availability_cache_seconds)
        self.partner_keys = TtlCache(settings.partner_cache_seconds)
        self.batcher: Batcher[uuid.UUID, BookingRequest, Outcome] = Batcher(
            self._decide,
            max_batch=settings.booking_batch_size,
            max_queue=settings.booking_queue_limit,
        )
        self._housekeeping: asyncio.Task[None] | None = None

    async def _decide(
        self, event_id: uuid.UUID, requests: list[BookingRequest]
    ) -> list[Outcome | BaseException]:
        try:
            return await book_batch(self.db, self.settings, event_id, requests)
        finally:
            self.availability.invalidate(event_id)

    async def book(self, event_id: uuid.UUID, request: BookingRequest) -> Outcome:
        return await self.batcher.submit(event_id, request)

    def start(self) -> None:
        self._housekeeping = asyncio.create_task(
            self._purge_forever(), name="bookings-housekeeping"
        )

    async def stop(self) -> None:
        await self.batcher.drain(timeout=self.settings.shutdown_grace)
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
