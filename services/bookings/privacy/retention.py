"""Bookings' retention job: anonymise bookings and idempotency answers `RETENTION_MONTHS`
after their event ended; one replica per period runs it (shared/scheduled_jobs.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.bookings.privacy import records
from services.bookings.settings import BookingsSettings
from shared.db import Database
from shared.logging import get_logger
from shared.privacy.retention import RETENTION_JOB, months_before
from shared.runtime import Runtime
from shared.scheduled_jobs import PeriodicJob

log = get_logger(__name__)


async def anonymise_due(db: Database, settings: BookingsSettings, now: datetime) -> dict[str, int]:
    async with db.unit_of_work() as uow:
        counts = await records.anonymise_ended(
            uow, months_before(now, settings.retention_months), now
        )
        await uow.commit()
    log.info("privacy.retention_done", **counts)
    return counts


def retention_job(db: Database, settings: BookingsSettings) -> PeriodicJob:
    async def work(now: datetime) -> None:
        await anonymise_due(db, settings, now)

    return PeriodicJob(
        db,
        RETENTION_JOB,
        work,
        every=timedelta(seconds=settings.retention_interval),
        poll=min(settings.retention_interval, 60.0),
    )


async def start_retention(runtime: Runtime) -> None:
    """An `on_startup` hook of the app."""
    settings = runtime.settings
    assert isinstance(settings, BookingsSettings)
    runtime.start_job(retention_job(runtime.db, settings))
