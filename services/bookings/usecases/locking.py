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
    when the connection is made (not per transaction: one round trip less in each)."""

    @event.listens_for(db.engine.sync_engine, "connect")
    def _set_lock_timeout(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET lock_timeout = {int(settings.lock_timeout_ms)}")
        cursor.close()


async def in_event_lock(
    db: Database,
    settings: BookingsSettings,
    event_id: uuid.UUID,
    work: Work[T],
    *,
    with_options: bool = True,
) -> T:
    """Run `work` in one transaction that holds the event's row lock, and commit.

    Waiting for the lock is bounded (`lock_timeout`, see `bound_lock_waits`); a timeout is
    retried a few times with jitter, then answered 503 busy: a slow answer is never a wrong
    one. `work` must keep its effects inside the unit of work, as it may run more than once.
    """
    for attempt in range(1, settings.lock_attempts + 1):
        try:
            async with db.unit_of_work() as uow:
                facts, places = await replica.load(
                    uow, event_id, lock=True, with_options=with_options
                )
                locked = time.perf_counter()
                result = await work(uow, facts, places)
                await uow.commit()
                LOCK_HELD.observe(time.perf_counter() - locked)
                return result
        except DBAPIError as exc:
            if not _lock_timed_out(exc):
                raise
            log.warning("event.lock_timeout", event_id=str(event_id), attempt=attempt)
        except KeyTakenMeanwhile:
            log.info("batch.idempotency_race_retried", event_id=str(event_id), attempt=attempt)
        await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise Busy("this event is very busy right now; try again in a moment")
