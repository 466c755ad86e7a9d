"""Entry point: `uvicorn --factory services.notifications.app:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from services.notifications.api import (
    public,
    staff_audiences,
    staff_campaigns,
    staff_deliveries,
    staff_suppressions,
    staff_templates,
)
from services.notifications.consumers import consumer_specs
from services.notifications.handlers import campaign_progress
from services.notifications.privacy.retention import start_retention
from services.notifications.settings import NotificationsSettings
from services.notifications.workers import Workers
from shared.runtime import ConsumerFactory, ConsumerSpec, Runtime
from shared.web import create_service_app


async def _prune_finished_campaigns(runtime: Runtime) -> None:
    runtime.depths.also.append(partial(campaign_progress.prune_campaign_series, runtime.db))


def _consumers(workers: Workers) -> ConsumerFactory:
    """The runtime's database exists only once it starts: the sending component is bound to it
    then, and its parts are handed to the handlers that queue and send emails."""

    def build(runtime: Runtime) -> Sequence[ConsumerSpec]:
        workers.bind(runtime.db, wake_relay=runtime.relay.wake)
        return consumer_specs(
            runtime.db,
            workers.settings,
            sender=workers.sender,
            mails=workers.mails,
            hot=workers.hot,
            pace=workers.progress,
        )

    return build


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    workers = Workers(settings)
    app = create_service_app(
        settings,
        title="Notifications",
        description="Confirmation, waiting-list and other emails; invitation campaigns.",
        routers=[
            staff_deliveries.router,
            staff_templates.router,
            staff_campaigns.router,
            staff_audiences.router,
            staff_suppressions.router,
            public.router,
        ],
        consumers=_consumers(workers),
        on_startup=[_prune_finished_campaigns, start_retention],
    )
    app.state.workers = workers
    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The workers start once the runtime (database, broker, consumers) is up, the
        # scheduler stops before it goes, and the SMTP pool after its consumers have finished.
        try:
            async with runtime_lifespan(app):
                workers.start()
                try:
                    yield
                finally:
                    await workers.stop_scheduler()
        finally:
            await workers.stop()

    app.router.lifespan_context = lifespan
    return app
