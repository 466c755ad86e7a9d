"""What a notifications process runs beside its consumers: the SMTP pool with its rate limit,
the outcome recorder, the sender identity, and the scheduler. Built when the consumers are
(the runtime's database exists then), started after the runtime, stopped after its consumers."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.handlers.campaign_work import CampaignMails
from services.notifications.persistence.hotpath import HotPath
from services.notifications.scheduler import Scheduler
from services.notifications.sending.identity import SenderIdentity
from services.notifications.sending.pool import PoolConfig, SmtpPool
from services.notifications.sending.ratelimit import TokenBucket
from services.notifications.sending.recorder import OutcomeRecorder
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.db import Database, make_engine


class Workers:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self.mails = CampaignMails(settings)
        self._db: Database | None = None
        self.bucket = TokenBucket(settings.send_rate, burst=settings.send_burst)
        self.pool = SmtpPool(
            PoolConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                timeout=settings.smtp_timeout,
                connections=settings.smtp_connections,
                max_per_connection=settings.smtp_max_per_connection,
                idle_seconds=settings.smtp_idle_seconds,
                mail_from=settings.mail_from,
            ),
            self.bucket,
        )
        self.hot: HotPath | None = None
        self._record_db: Database | None = None
        self._identity: SenderIdentity | None = None
        self._identity_engine: AsyncEngine | None = None
        self._recorder: OutcomeRecorder | None = None
        self._sender: Sender | None = None
        self._scheduler: Scheduler | None = None
        self._started = False

    def bind(self, db: Database, *, wake_relay: Callable[[], None] | None = None) -> None:
        self._db = db
        pooler = self.settings.database_transaction_pooler
        self.hot = HotPath(
            self.settings.database_url, size=self.settings.hot_pool_size, transaction_pooler=pooler
        )
        # The sender's identity is a session-level advisory lock: it needs a session of its own
        # on PostgreSQL itself, which a transaction-mode pooler does not give.
        session_url = self.settings.database_session_url
        self._identity_engine = (
            make_engine(session_url, pool_size=1, max_overflow=1)
            if session_url and session_url != self.settings.database_url
            else None
        )
        self._identity = SenderIdentity(self._identity_engine or db.engine)
        # Outcomes are recorded on connections of their own: with every pooled connection
        # taken by message handlers, a sent email waited seconds to be recorded (and its
        # `email.sent` with it). Its outbox commits wake the same relay.
        self._record_db = Database(
            make_engine(
                self.settings.database_url,
                pool_size=self.settings.record_pool_size,
                max_overflow=self.settings.record_max_overflow,
                transaction_pooler=pooler,
            ),
            producer=db.producer,
        )
        if wake_relay is not None:
            self._record_db.on_outbox_commit(wake_relay)
        self._recorder = OutcomeRecorder(
            self._record_db, self.hot, linger=self.settings.record_linger
        )
        self._sender = Sender(db, self._identity, self.pool, self._recorder, self.hot)
        self._scheduler = Scheduler(db, self.settings, self._sender)

    @property
    def sender(self) -> Sender:
        assert self._sender is not None, "workers not bound to a database"
        return self._sender

    @property
    def sending_here(self) -> bool:
        """Whether this process sends (else emails go through the work queue)."""
        return self._started

    @property
    def scheduler(self) -> Scheduler:
        assert self._scheduler is not None, "workers not bound to a database"
        return self._scheduler

    def start(self) -> None:
        if self._db is None or self._started:
            return
        assert self._recorder is not None and self._scheduler is not None
        self.pool.start()
        self._recorder.start()
        if self.settings.run_scheduler:
            self._scheduler.start()
        self._started = True

    async def stop_scheduler(self) -> None:
        if self._scheduler is not None:
            await self._scheduler.stop()

    async def stop(self) -> None:
        """After the consumers stopped: nothing is waiting on the pool or the recorder."""
        if not self._started:
            return
        assert self._sender is not None
        await self._sender.drain(timeout=5)
        await self.pool.stop()
        assert self._recorder is not None and self._identity is not None
        await self._recorder.stop()
        await self._identity.close()
        if self.hot is not None:
            await self.hot.close()
        if self._record_db is not None:
            await self._record_db.dispose()
        if self._identity_engine is not None:
            await self._identity_engine.dispose()
        self._started = False
