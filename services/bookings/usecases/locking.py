"""The event's row lock: every change to an event's places runs inside it, in every process."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
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
Work = Callable[[UnitOfWork, EventFacts, Places], Awaitable[T]]
log = get_logger(__name__)
_LOCK_NOT_AVAILABLE = "55P03"


def _lock_timed_out(exc: DBAPIError) -> bool:
    orig = exc.orig
    return _LOCK_NOT_AVAILABLE in (getattr(orig, "sqlstate", None), getattr(orig, "pgcode", None))


async def in_event_lock(
    db: Database, settings: BookingsSettings, event_id: uuid.UUID, work: Work[T]
) -> T:
    """Run `work` in one transaction that holds the event's row lock, and commit.

    Waiting for the lock is bounded (`lock_timeout`); a timeout is retried a few times with
    jitter, then answered 503 busy: a slow answer is never a wrong one. `work` must keep its
    effects inside the unit of work, as it may run more than once.
    """
    for attempt in range(1, settings.lock_attempts + 1):
        try:
            async with db.unit_of_work() as uow:
                await uow.execute(text(f"SET LOCAL lock_timeout = {int(settings.lock_timeout_ms)}"))
                facts, places = await replica.load(uow, event_id, lock=True)
                result = await work(uow, facts, places)
                await uow.commit()
                return result
        except DBAPIError as exc:
            if not _lock_timed_out(exc):
                raise
            log.warning("event.lock_timeout", event_id=str(event_id), attempt=attempt)
        except KeyTakenMeanwhile:
            log.info("batch.idempotency_race_retried", event_id=str(event_id), attempt=attempt)
        await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise Busy("this event is very busy right now; try again in a moment")
