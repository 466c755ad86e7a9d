"""The HTTP edge every service shares: the app factory, request context middleware (correlation
id, request log line, metrics), health, readiness and metrics routes, and typed dependencies."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import keys_for
from shared.db import Database
from shared.errors import install_error_handlers
from shared.http_guards import RequestGuardMiddleware, SecurityHeadersMiddleware
from shared.logging import accept_correlation_id, configure_logging, get_logger, log_context
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from shared.proxies import ForwardedClientMiddleware
from shared.runtime import ConsumerFactory, Runtime
from shared.settings import ServiceSettings
from shared.staff_actions import staff_command_scope

log = get_logger(__name__)
REQUEST_ID_HEADER = "x-request-id"
# The `responses=` of a route (status code -> OpenAPI response object), typed as FastAPI takes it.
Responses = dict[int | str, dict[str, Any]]


class RequestContextMiddleware:
    """Takes `X-Request-ID` (or makes one), binds it as the correlation id for everything the
    request causes, returns it, and logs one line per request with its route and timing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_of(scope)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID, correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        with log_context(correlation_id=correlation_id, message_id=None), staff_command_scope():
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                path = getattr(route, "path", None) or "unmatched"
                record_request(scope["method"], path, status, time.perf_counter() - started)


REQUEST_ID = REQUEST_ID_HEADER.encode()
_QUIET = ("/healthz", "/readyz", "/metrics")


def correlation_id_of(scope: Scope) -> str:
    """The request's `X-Request-ID` if it is a plain token, else a new one."""
    incoming = dict(scope["headers"]).get(REQUEST_ID)
    return accept_correlation_id(incoming.decode("latin-1") if incoming else None)


@functools.lru_cache(maxsize=1024)
def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    # `labels()` validates and looks its child up under a lock on every call; the routes are
    # templates, so the series are few and kept.
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)


def record_request(method: str, route: str, status: int, elapsed: float) -> None:
    """The request's metrics and its one log line (none for health, readiness and metrics)."""
    requests, latency = _series(method, route, status)
    requests.inc()
    latency.observe(elapsed)
    if route not in _QUIET:
        log.info(
            "http.request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )


ops_router = APIRouter(tags=["operations"])


@ops_router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@ops_router.get("/readyz", responses={503: {"description": "a dependency is unreachable"}})
async def readyz(request: Request) -> JSONResponse:
    """Ready: the database and the broker are reachable."""
    checks = await request.app.state.runtime.readiness()
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


metrics_router = APIRouter(tags=["operations"])


@metrics_router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_db(request: Request) -> Database:
    return request.app.state.runtime.db


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
DbDep = Annotated[Database, Depends(get_db)]


class ServiceApp(FastAPI):
    """A FastAPI app whose hot routes (`add_hot_route`) skip the middleware chain."""

    hot_routes: list[Any]

    def build_middleware_stack(self) -> ASGIApp:
        full = super().build_middleware_stack()
        if not getattr(self, "hot_routes", None):
            return full
        from shared.hot_lane import HotLane  # the lane builds on this module

        settings: ServiceSettings = self.state.settings
        return HotLane(
            full,
            self.hot_routes,
            max_bytes=settings.max_body_bytes,
            trusted_proxies=settings.trusted_proxies,
        )


def add_hot_route(app: FastAPI, route: Any) -> None:
    """Serve `route` (a `shared.hot_lane.HotRoute`) through the hot lane."""
    assert isinstance(app, ServiceApp), "hot routes need create_service_app's app"
    app.hot_routes = [*getattr(app, "hot_routes", []), route]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    consumers: ConsumerFactory | None = None,
    on_startup: Sequence[Any] = (),
    ops_api: bool = True,
    api_pages: bool = True,
) -> FastAPI:
    """A service's FastAPI app: its routers plus everything every service has. `api_pages`
    False serves no /docs, /redoc or /openapi.json in any mode (an HTML app has no API)."""
    configure_logging(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        app.state.runtime = runtime
        metrics_server = None
        if settings.metrics_port:
            # Its own port, which the Service exposes and the Ingress never routes: Prometheus
            # scrapes it inside the cluster, the public cannot reach it.
            metrics_server, _ = start_http_server(settings.metrics_port, settings.metrics_host)
        await runtime.start(consumers)
        for hook in on_startup:
            await hook(runtime)
        log.info("service.started", environment=settings.environment)
        try:
            yield
        finally:
            log.info("service.stopping")
            await runtime.stop()
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()

    # The API pages describe every route, staff ones included: not served in production.
    docs = api_pages and settings.environment != "production"
    app = ServiceApp(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    # Built here so a malformed public key stops the service at start, not at a request.
    app.state.staff_token_keys = keys_for(settings)
    app.add_middleware(RequestGuardMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    if settings.trusted_proxies:
        # Outermost: everything inside sees the visitor's address, not the ingress's.
        app.add_middleware(ForwardedClientMiddleware, trusted=settings.trusted_proxies)
    install_error_handlers(app)
    app.include_router(ops_router)
    if not settings.metrics_port:
        app.include_router(metrics_router)
    if ops_api:
        # Imported here: the ops API depends on this module's typed dependencies.
        from shared.ops_api import router as ops_api_router

        app.include_router(ops_api_router)
    for router in routers:
        app.include_router(router)
    return app
