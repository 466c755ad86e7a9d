"""Notifications' retention job: deliveries, campaign invitees and the booking replica of
events that ended `RETENTION_MONTHS` ago made anonymous; one replica per period runs it."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.notifications.privacy import records
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.logging import get_logger
from shared.privacy.retention import RETENTION_JOB, months_before
from shared.runtime import Runtime
from shared.scheduled_jobs import PeriodicJob

log = get_logger(__name__)


async def anonymise_due(
    db: Database, settings: NotificationsSettings, now: datetime
) -> dict[str, int]:
    async with db.unit_of_work() as uow:
        counts = await records.anonymise_ended(uow, months_before(now, settings.retention_months))
        await uow.commit()
    log.info("privacy.retention_done", **counts)
    return counts


async def start_retention(runtime: Runtime) -> None:
    """An `on_startup` hook of the app."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    db = runtime.db

    async def work(now: datetime) -> None:
        await anonymise_due(db, settings, now)

    every = timedelta(seconds=settings.retention_interval)
    poll = min(settings.retention_interval, 60.0)
    runtime.start_job(PeriodicJob(db, RETENTION_JOB, work, every=every, poll=poll))
