"""An export's archive and address are kept only while its link works: a job (one replica per
period, shared/scheduled_jobs.py) drops them once the link has expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.console.privacy import store
from shared.db import Database
from shared.logging import get_logger
from shared.runtime import Runtime
from shared.scheduled_jobs import PeriodicJob

log = get_logger(__name__)
JOB = "privacy.expired_exports"


async def drop_expired(db: Database, now: datetime) -> int:
    async with db.unit_of_work() as uow:
        dropped = await store.drop_expired_archives(uow, now)
        await uow.commit()
    if dropped:
        log.info("privacy.exports_expired", dropped=dropped)
    return dropped


async def start_expiry(runtime: Runtime) -> None:
    """An `on_startup` hook of the console app."""
    db = runtime.db

    async def work(now: datetime) -> None:
        await drop_expired(db, now)

    runtime.start_job(PeriodicJob(db, JOB, work, every=timedelta(minutes=10), poll=60.0))
