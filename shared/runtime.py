"""What a service process runs besides its routes: the database, the broker connection, the
publisher, the outbox relay and the consumers, started and stopped in the right order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from shared.db import Database, make_engine
from shared.logging import describe_error, get_logger
from shared.messaging.broker import Broker
from shared.messaging.consumer import BatchHandler, ConsumerRunner, Handler, OnPark
from shared.messaging.depths import DepthSampler
from shared.messaging.publisher import Publisher
from shared.messaging.queues import BY_SERVICE
from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import Subscription
from shared.scheduled_jobs import PeriodicJob
from shared.settings import ServiceSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    subscription: Subscription
    handlers: Mapping[str, Handler]
    prefetch: int | None = None
    # Optional: told about each message this consumer parks (see `ConsumerRunner`).
    on_park: OnPark | None = None
    # Optional: applies what is already delivered, several messages at once (see
    # `ConsumerRunner`); for a busy queue whose handlers are short transactions.
    batch: BatchHandler | None = None
    # Optional, with `batch`: seconds a batch not yet full waits for more deliveries (see
    # `ConsumerRunner`), for a queue that may lag that much behind.
    linger: float = 0.0


ConsumerFactory = Callable[["Runtime"], Sequence[ConsumerSpec]]


class Runtime:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.db = Database(
            make_engine(
                settings.database_url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
                transaction_pooler=settings.database_transaction_pooler,
            ),
            producer=settings.service_name,
        )
        self.broker = Broker(settings.amqp_url, name=settings.service_name)
        self.publisher = Publisher(
            self.broker, settings.exchange_name, producer=settings.service_name
        )
        self.relay = OutboxRelay(
            self.db,
            self.publisher,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval,
            retention=settings.outbox_retention,
            linger=settings.outbox_linger,
        )
        self.consumers: list[ConsumerRunner] = []
        self.queues = [sub.queue for sub in BY_SERVICE.get(settings.service_name, ())]
        self.depths = DepthSampler(
            self.broker.wait_connected,
            self.queues,
            self.readiness,
            interval=settings.queue_depth_interval,
        )
        self._starting: asyncio.Task[None] | None = None
        self._background: list[Callable[[], object]] = []
        self.jobs: list[PeriodicJob] = []

    async def start(self, consumer_factory: ConsumerFactory | None = None) -> None:
        self.broker.start()
        self.depths.start()
        if not self.settings.run_workers:
            return
        self.relay.start()
        specs = list(consumer_factory(self) if consumer_factory else [])
        self.consumers = [
            ConsumerRunner(
                self.broker,
                self.publisher,
                spec.subscription,
                spec.handlers,
                exchange_name=self.settings.exchange_name,
                prefetch=spec.prefetch or self.settings.prefetch,
                retry_delays=self.settings.retry_delays,
                delivery_limit=self.settings.delivery_limit,
                on_park=spec.on_park,
                batch=spec.batch,
                linger=spec.linger,
            )
            for spec in specs
        ]
        # Consumers start once the broker is reachable; the HTTP side does not wait for it.
        self._starting = asyncio.create_task(self._start_consumers(), name="consumers-start")

    async def _start_consumers(self) -> None:
        for consumer in self.consumers:
            while True:
                try:
                    await consumer.start()
                    break
                except Exception as exc:
                    log.warning(
                        "consumer.start_failed",
                        queue=consumer.queue_name,
                        error=describe_error(exc),
                    )
                    await asyncio.sleep(1)

    def start_job(self, job: PeriodicJob) -> None:
        """A scheduled job of this process (shared/scheduled_jobs.py), stopped with it; none
        when this process runs no workers."""
        if self.settings.run_workers:
            job.start()
            self.jobs.append(job)

    async def stop(self) -> None:
        for job in self.jobs:
            await job.stop()
        await self.depths.stop()
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        await asyncio.gather(
            *(c.stop(self.settings.shutdown_grace) for c in self.consumers), return_exceptions=True
        )
        await self.relay.stop()
        # One last pass so rows committed by requests that just finished go out now, not on
        # the next start (they would not be lost either way: they stay in the outbox).
        if self.settings.run_workers and self.broker.is_ready:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.relay.publish_batch(), timeout=5)
        await self.broker.close()
        await self.db.dispose()
        log.info("service.stopped")

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["broker"] = "ok" if self.broker.is_ready else "unreachable"
        return checks
