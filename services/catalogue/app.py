"""Entry point: `uvicorn --factory services.catalogue.app:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.catalogue.api import cohorts, events, people, programmes, public, venues
from services.catalogue.consumers import consumers
from services.catalogue.handlers.resync import resync
from services.catalogue.settings import CatalogueSettings
from shared.web import create_service_app

ROUTERS = [
    programmes.router,
    cohorts.router,
    venues.router,
    people.router,
    events.router,
    public.router,
]


def create_app(settings: CatalogueSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or CatalogueSettings(),
        title="Catalogue",
        description="Programmes, cohorts, venues, people and events: what can be booked.",
        routers=ROUTERS,
        consumers=consumers,
    )
    app.state.resync = resync  # POST /ops/resync, as `python -m services.catalogue.resync`
    return app
