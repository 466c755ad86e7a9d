"""The scheduler loop every notifications process runs: due reminders, scheduled campaigns,
stranded emails. Rows are claimed with SKIP LOCKED, so the processes share the work without
doing any twice."""

from __future__ import annotations

import asyncio
import contextlib

from services.notifications.handlers import campaigns, reminders, sweeper
from services.notifications.handlers.queueing import send_after_commit
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.logging import describe_error, get_logger
from shared.messaging.transient import is_transient

log = get_logger(__name__)


class Scheduler:
    def __init__(self, db: Database, settings: NotificationsSettings, sender: Sender) -> None:
        self._db = db
        self._sender = sender
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def run_once(self) -> None:
        while True:
            with send_after_commit() as queued:
                settled = await reminders.send_due(self._db, self._settings)
            if queued:
                self._sender.send_soon(queued)
            if not settled:
                break
        await campaigns.start_due(self._db, self._settings)
        await sweeper.sweep(self._db, older_than=self._settings.stranded_after)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "scheduler.pass_failed",
                    error=describe_error(exc)[:300],
                    exc_info=not is_transient(exc),
                )
            await asyncio.sleep(self._settings.scheduler_interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
