"""What each bookings process keeps besides the shared runtime: the per-event booking batcher,
the short-lived availability cache, the partner-key cache, and a little housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from structlog.contextvars import unbind_contextvars

from services.bookings.batcher import Batcher
from services.bookings.domain.batch import BookingRequest, Outcome
from services.bookings.persistence import idempotency
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.booking import book_batch
from services.bookings.usecases.locking import bound_lock_waits
from shared.db import Database, make_engine
from shared.logging import describe_error, get_logger

if TYPE_CHECKING:
    from services.bookings.persistence.partners import Partner

log = get_logger(__name__)
GC_THRESHOLD = 20_000
RELAY_WAKE_EVERY = 0.02


K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A per-process cache with a short time to live. Several processes each hold their own,
    so a reader may see a count up to `ttl` old; decisions never read it."""

    def __init__(self, ttl: float, *, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def invalidate(self, key: K) -> None:
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


def _batch_database(settings: BookingsSettings) -> Database:
    """A small pool of its own for booking batches, without `pool_pre_ping`: the ping costs
    three round trips per checkout (BEGIN, a statement, ROLLBACK with asyncpg), more than the
    batch itself. A connection gone stale (the database restarted) fails its batch once, which
    is then retried on a fresh connection (`with_lock_retries`)."""
    engine = make_engine(
        settings.database_url,
        pool_size=settings.batch_pool_size,
        max_overflow=settings.batch_max_overflow,
        transaction_pooler=settings.database_transaction_pooler,
    )
    db = Database(engine, producer=settings.service_name)
    bound_lock_waits(db, settings)
    return db


class BookingsProcess:
    def __init__(self, db: Database, settings: BookingsSettings) -> None:
        self.db = db
        self.settings = settings
        self.availability: TtlCache[uuid.UUID, bytes] = TtlCache(
            settings.availability_cache_seconds
        )
        # False: no active partner has this key (remembered too, so a flood of bad keys is cheap).
        self.partner_keys: TtlCache[str, Partner | Literal[False]] = TtlCache(
            settings.partner_cache_seconds
        )
        self.loads = SingleFlight()
        self.batcher: Batcher[uuid.UUID, BookingRequest, Outcome] = Batcher(
            self._decide,
            max_batch=settings.booking_batch_size,
            max_queue=settings.booking_queue_limit,
        )
        self._housekeeping: asyncio.Task[None] | None = None
        bound_lock_waits(db, settings)
        self.batch_db = _batch_database(settings)
        # The batch writes outbox rows: wake this process's relay (if it runs one) after commit,
        # at most every RELAY_WAKE_EVERY seconds, so under a rush each relay pass publishes many
        # messages instead of running its queries once per batch.
        self._relay_wake: asyncio.TimerHandle | None = None
        self.batch_db.on_outbox_commit(self._wake_relay_soon)

    async def _decide(
        self, event_id: uuid.UUID, requests: list[BookingRequest]
    ) -> list[Outcome | BaseException]:
        started = time.perf_counter()
        try:
            return await book_batch(self.batch_db, self.settings, event_id, requests)
        finally:
            self.availability.invalidate(event_id)
            unbind_contextvars("correlation_id", "message_id")
            log.info(
                "booking.batch_decided",
                event_id=str(event_id),
                size=len(requests),
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )

    def _wake_relay_soon(self) -> None:
        if self._relay_wake is None:
            self._relay_wake = asyncio.get_running_loop().call_later(
                RELAY_WAKE_EVERY, self._wake_relay
            )

    def _wake_relay(self) -> None:
        self._relay_wake = None
        self.db.outbox_committed()

    async def book(self, event_id: uuid.UUID, request: BookingRequest) -> Outcome:
        return await self.batcher.submit(event_id, request)

    def start(self) -> None:
        # Fewer, later cyclic garbage collections: a booking allocates many short-lived objects
        # (request, models, envelope) and the default gen-0 threshold (700) ran a collection
        # every few requests under a rush. Objects from start-up are frozen out of the scans.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 20)
        self._housekeeping = asyncio.create_task(
            self._purge_forever(), name="bookings-housekeeping"
        )

    async def stop(self) -> None:
        await self.batcher.drain(timeout=self.settings.shutdown_grace)
        await self.batch_db.dispose()
        if self._relay_wake is not None:
            self._relay_wake.cancel()
            self._wake_relay()
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
                log.warning("idempotency.purge_failed", error=describe_error(exc))
