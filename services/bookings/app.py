"""Entry point: `uvicorn --factory services.bookings.app:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.bookings.api import public
from services.bookings.consumers import consumers
from services.bookings.settings import BookingsSettings
from shared.web import create_service_app


def create_app(settings: BookingsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or BookingsSettings(),
        title="Bookings",
        description="Places, waiting lists and changes; the public booking API for widgets.",
        routers=[public.router],
        consumers=consumers,
    )
