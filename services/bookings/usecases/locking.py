"""The event's row lock: every change to an event's places runs inside it, in every process."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from prometheus_client import Histogram
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.capacity import Places
from services.bookings.persistence import replica
from services.bookings.persistence.idempotency import KeyTakenMeanwhile
from services.bookings.settings import BookingsSettings
from shared.db import Database, UnitOfWork
from shared.errors import Busy
from shared.logging import get_logger
from shared.messaging.transient import is_transient

T = TypeVar("T")
LOCK_HELD = Histogram(
    "bookings_event_lock_held_seconds",
    "How long a transaction held an event's row lock (from taking it to commit)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1),
)
Work = Callable[[UnitOfWork, EventFacts, Places], Awaitable[T]]
log = get_logger(__name__)
_LOCK_NOT_AVAILABLE = "55P03"


def _lock_timed_out(exc: DBAPIError) -> bool:
    orig = exc.orig
    return _LOCK_NOT_AVAILABLE in (getattr(orig, "sqlstate", None), getattr(orig, "pgcode", None))


def bound_lock_waits(db: Database, settings: BookingsSettings) -> None:
    """Every connection of this process waits at most `lock_timeout_ms` for any lock, set once
    when the connection is made (not per transaction: one round trip less in each).

    Committed at once: the driver opens a transaction for the SET, and a SET inside a
    transaction that later rolls back (a lock timeout, say) would be undone with it."""

    @event.listens_for(db.engine.sync_engine, "connect")
    def _set_lock_timeout(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {int(settings.lock_timeout_ms)}")
        cursor.close()
        dbapi_connection.commit()


async def in_event_lock(
    db: Database, settings: BookingsSettings, event_id: uuid.UUID, work: Work[T]
) -> T:
    """Run `work` in one transaction that holds the event's row lock, and commit."""

    async def attempt(uow: UnitOfWork) -> T:
        facts, places = await replica.load(uow, event_id, lock=True)
        locked = time.perf_counter()
        result = await work(uow, facts, places)
        await uow.commit()
        LOCK_HELD.observe(time.perf_counter() - locked)
        return result

    return await with_lock_retries(db, settings, event_id, attempt)


async def with_lock_retries(
    db: Database,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    attempt: Callable[[UnitOfWork], Awaitable[T]],
) -> T:
    """Run `attempt` (which takes the event's lock and commits) in a unit of work.

    Waiting for the lock is bounded (`lock_timeout`, see `bound_lock_waits`); a timeout is
    retried a few times with jitter, then answered 503 busy: a slow answer is never a wrong
    one. `attempt` must keep its effects inside the unit of work, as it may run more than once.
    """
    for n in range(1, settings.lock_attempts + 1):
        try:
            async with db.unit_of_work() as uow:
                return await attempt(uow)
        except DBAPIError as exc:
            if is_transient(exc) and n < settings.lock_attempts:
                # A stale or refused connection (the database restarted, too many clients).
                log.warning("event.database_retried", event_id=str(event_id), attempt=n)
                await asyncio.sleep(random.uniform(0.05, 0.2) * n)
                continue
            if not _lock_timed_out(exc):
                raise
            log.warning("event.lock_timeout", event_id=str(event_id), attempt=n)
        except KeyTakenMeanwhile:
            log.info("batch.idempotency_race_retried", event_id=str(event_id), attempt=n)
        await asyncio.sleep(random.uniform(0.01, 0.05) * n)
    raise Busy("this event is very busy right now; try again in a moment")
