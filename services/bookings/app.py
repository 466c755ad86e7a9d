"""Entry point: `uvicorn --factory services.bookings.app:create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from services.bookings.api import (
    calendar,
    checkin,
    checkin_code,
    event_slugs,
    invitations,
    pages,
    partners,
    programme_pages,
    public,
    staff,
)
from services.bookings.api.widget_edge import install_widget_edge
from services.bookings.consumers import consumers
from services.bookings.privacy.retention import start_retention
from services.bookings.process import BookingsProcess
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.resync import resync
from shared.web import create_service_app


def create_app(settings: BookingsSettings | None = None) -> FastAPI:
    settings = settings or BookingsSettings()
    app = create_service_app(
        settings,
        title="Bookings",
        description="Places, waiting lists and changes; the public booking API for widgets.",
        routers=[
            public.router,
            event_slugs.router,
            staff.router,
            checkin.router,
            checkin_code.router,
            partners.router,
            pages.router,
            calendar.router,
            invitations.router,
            programme_pages.router,
        ],
        consumers=consumers,
        on_startup=[start_retention],
    )
    install_widget_edge(app, settings)
    # POST /ops/resync, as `python -m services.bookings.resync`.
    app.state.resync = partial(resync, settings=settings)
    shared_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Inside the shared lifespan: the database is there before the batcher starts, and
        # queued bookings are decided before the database goes.
        async with shared_lifespan(app):
            process = BookingsProcess(app.state.runtime.db, settings)
            app.state.bookings = process
            process.start()
            try:
                yield
            finally:
                await process.stop()

    app.router.lifespan_context = lifespan
    return app
