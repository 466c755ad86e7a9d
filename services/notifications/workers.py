"""The sending component: what a notifications process runs beside its consumers (the SMTP
pool with its rate limit, the outcome recorder, the sender, and the scheduler). Built once in
`app.py`, bound to the runtime's database when the runtime starts its consumers, started after
the runtime, stopped after its consumers; its sender is handed to whatever queues emails."""

from __future__ import annotations

from collections.abc import Callable

from services.notifications.domain.deliveries import RetryPolicy
from services.notifications.handlers.campaign_progress import ProgressPace
from services.notifications.handlers.campaign_work import CampaignMails
from services.notifications.persistence.hotpath import HotPath
from services.notifications.scheduler import Scheduler
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
        self.progress = ProgressPace()
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
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=(
                    settings.smtp_password.get_secret_value() if settings.smtp_password else None
                ),
                ca_file=settings.smtp_ca_file,
            ),
            self.bucket,
        )
        self._hot: HotPath | None = None
        self._record_db: Database | None = None
        self._recorder: OutcomeRecorder | None = None
        self._sender: Sender | None = None
        self._scheduler: Scheduler | None = None
        self._started = False

    def bind(self, db: Database, *, wake_relay: Callable[[], None] | None = None) -> None:
        self._db = db
        pooler = self.settings.database_transaction_pooler
        self._hot = HotPath(
            self.settings.database_url, size=self.settings.hot_pool_size, transaction_pooler=pooler
        )
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
        policy = RetryPolicy(
            first_delay=self.settings.defer_first_delay,
            max_delay=self.settings.defer_max_delay,
            deadline=self.settings.send_deadline,
        )
        self._recorder = OutcomeRecorder(
            self._record_db, self._hot, policy, linger=self.settings.record_linger
        )
        self._sender = Sender(
            db, self.pool, self._recorder, self._hot, lease=self.settings.claim_lease
        )
        self._scheduler = Scheduler(
            db, self.settings, sender=self._sender, pool=self.pool, hot=self._hot, mails=self.mails
        )

    @property
    def sender(self) -> Sender:
        assert self._sender is not None, "workers not bound to a database"
        return self._sender

    @property
    def hot(self) -> HotPath:
        assert self._hot is not None, "workers not bound to a database"
        return self._hot

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
        assert self._recorder is not None
        await self._recorder.stop()
        if self._hot is not None:
            await self._hot.close()
        if self._record_db is not None:
            await self._record_db.dispose()
        self._started = False
