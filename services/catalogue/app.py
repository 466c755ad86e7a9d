"""Entry point: `uvicorn --factory services.catalogue.app:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.catalogue.api import public, staff
from services.catalogue.consumers import consumers
from services.catalogue.settings import CatalogueSettings
from shared.web import create_service_app


def create_app(settings: CatalogueSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or CatalogueSettings(),
        title="Catalogue",
        description="Programmes, cohorts, venues, people and events: what can be booked.",
        routers=[staff.router, public.router],
        consumers=consumers,
    )
