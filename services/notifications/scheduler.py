"""The scheduler loop every notifications process runs: due reminders, scheduled campaigns,
emails due again (the retry pass). Rows are claimed with SKIP LOCKED or a fenced claim, so the
processes share the work without doing any twice."""

from __future__ import annotations

import asyncio
import contextlib

from services.notifications.handlers import campaigns, reminders, retries
from services.notifications.handlers.campaign_work import CampaignMails
from services.notifications.handlers.queueing import SendAfterCommit
from services.notifications.persistence.hotpath import HotPath
from services.notifications.sending.pool import SmtpPool
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.logging import describe_error, get_logger
from shared.messaging.transient import is_transient

log = get_logger(__name__)


class Scheduler:
    def __init__(
        self,
        db: Database,
        settings: NotificationsSettings,
        *,
        sender: Sender,
        pool: SmtpPool,
        hot: HotPath,
        mails: CampaignMails,
    ) -> None:
        self._db = db
        self._sender = sender
        self._pool = pool
        self._hot = hot
        self._mails = mails
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler")

    async def run_once(self) -> None:
        while True:
            send = SendAfterCommit(self._sender)
            settled = await reminders.send_due(self._db, self._settings, send=send)
            send.committed()
            if not settled:
                break
        await campaigns.start_due(self._db, self._settings)
        await retries.send_due(
            db=self._db,
            hot=self._hot,
            sender=self._sender,
            pool=self._pool,
            mails=self._mails,
            settings=self._settings,
        )

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
