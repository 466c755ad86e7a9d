"""Entry point: `uvicorn --factory services.console.app:create_app` (port 8004)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.console.auth.web import CsrfRefused, NotAllowed, SignInRequired, signin_url
from services.console.clients.base import ServiceRefused, ServiceUnavailable
from services.console.consumers import consumers
from services.console.pages import (
    attendees,
    audit,
    campaign_actions,
    campaigns,
    checkin,
    checkin_link,
    cohorts,
    dashboard,
    deliveries,
    events,
    operations,
    partners,
    signin,
    staff,
)
from services.console.pages.common import redirect, render
from services.console.privacy import pages as privacy
from services.console.privacy.expiry import start_expiry
from services.console.settings import ConsoleSettings
from shared.web import create_service_app

ROUTERS = [
    signin.router,
    signin.signed_in_router,
    dashboard.router,
    checkin_link.router,
    checkin.router,
    events.router,
    attendees.router,
    cohorts.router,
    partners.router,
    campaigns.router,
    campaign_actions.router,
    deliveries.router,
    staff.router,
    audit.router,
    operations.router,
    privacy.router,
    privacy.api,
    privacy.public,
]
STATIC = Path(__file__).resolve().parent / "static"


def _page_errors(app: FastAPI) -> None:
    """Pages answer pages: a sign-in redirect, a refusal, or a service's trouble in words."""

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return redirect(signin_url(exc.next_url))

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=403,
            title="Not for your role",
            message="Your roles do not open this page. Ask an administrator.",
        )

    async def csrf(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=403,
            title="Form expired",
            message="This form was not sent from a page of this console, or the "
            "page is too old. Go back, reload the page and try again.",
        )

    async def unavailable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceUnavailable)
        return render(
            request,
            "error.html",
            status_code=503,
            title=f"The {exc.service} service is unavailable",
            message=f"The {exc.service} service did not answer. The rest of the "
            "console keeps working; try this page again in a minute.",
        )

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceRefused)
        status = exc.status if exc.status in (404, 409, 422) else 400
        return render(
            request,
            "error.html",
            status_code=status,
            title="Not found" if exc.status == 404 else "Refused",
            message=exc.detail,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "Not found", 405: "Not allowed"}.get(exc.status_code, "Error")
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            title=title,
            message="There is no such page here.",
        )

    async def invalid(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Not found",
            message="There is no such page here.",
        )

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(CsrfRefused, csrf)
    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(ServiceRefused, refused)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    # httpx logs every call's URL at INFO, search terms included: our request lines suffice.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_service_app(
        settings,
        title="Staff console",
        description="The staff's web application: sign-in, pages over the staff APIs, audit log.",
        routers=ROUTERS,
        # The console's pages are for people with a session, never a bearer token: its one
        # queue (the audit log's) is watched and replayed with the shared tools, not an API.
        ops_api=False,
        # An HTML application: its forms are not an API, so no Swagger or OpenAPI pages.
        api_pages=False,
        consumers=consumers,
        on_startup=[start_expiry],
    )
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.service_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout) as http:
            app.state.http = http
            async with service_lifespan(app):
                yield

    app.router.lifespan_context = lifespan
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _page_errors(app)
    return app
