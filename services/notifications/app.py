"""Entry point: `uvicorn --factory services.notifications.app:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import staff
from services.notifications.consumers import consumers
from services.notifications.settings import NotificationsSettings
from shared.web import create_service_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or NotificationsSettings(),
        title="Notifications",
        description="Confirmation, waiting-list and other emails; invitation campaigns.",
        routers=[staff.router],
        consumers=consumers,
    )
