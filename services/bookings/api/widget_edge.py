"""The public edge the embedded widget needs, around the public routes: rate limits, CORS by
partner, and the honeypot, plus their answers in the OpenAPI page."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from services.bookings.api.cors import PREFIX, PartnerCorsMiddleware
from services.bookings.api.honeypot import HoneypotMiddleware
from services.bookings.api.hot_booking import HotBooking
from services.bookings.api.ratelimit import RateLimiter, RateLimitMiddleware
from services.bookings.domain.rate_limits import Limit
from services.bookings.settings import BookingsSettings
from shared.web import add_hot_route

# Reads are cheap (cached per event) and a whole office may sit behind one address;
# bookings and manage actions do real work and a person makes a handful.
DEFAULT_LIMITS = {
    "read": Limit(burst=600, per_second=20),
    "book": Limit(burst=60, per_second=1),
    "manage": Limit(burst=60, per_second=1),
    # Every door phone reaches bookings through the console's one address: room for a
    # queue of arrivals scanned at once, still far too slow to guess codes.
    "checkin_code": Limit(burst=120, per_second=2),
}
_DOCUMENTED = {
    "403": "the partner key is unknown or inactive, or this site's origin is not registered "
    "for it (`code` says which)",
    "429": "too many requests from this client: wait `Retry-After` seconds",
}


def limits(settings: BookingsSettings) -> dict[str, Limit]:
    configured = {group: Limit(*pair) for group, pair in settings.rate_limits.items()}
    return {**DEFAULT_LIMITS, **configured}


def install_widget_edge(app: FastAPI, settings: BookingsSettings) -> None:
    # Appended, so inside the shared middlewares: what these refuse still gets a request id,
    # a log line, a metric and the security headers. Cheapest check first; the honeypot
    # reads a body only for requests the partner check let through.
    inner = [Middleware(PartnerCorsMiddleware), Middleware(HoneypotMiddleware)]
    # One set of buckets for the middleware and the hot lane: a booking counts once, wherever
    # it is answered.
    limiter = RateLimiter(limits(settings)) if settings.rate_limit_enabled else None
    if limiter is not None:
        inner.insert(0, Middleware(RateLimitMiddleware, limiter=limiter))
    app.user_middleware.extend(inner)
    # The widget's booking POST, the hot route under a rush, skips the chain: the same edge
    # and route, inline (api/hot_booking.py).
    add_hot_route(app, HotBooking(limiter))
    _document(app)


def _document(app: FastAPI) -> None:
    """Add the edge's answers to every public operation in the OpenAPI schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()  # FastAPI keeps it in app.openapi_schema: changed in place here
        for path, operations in schema.get("paths", {}).items():
            if path.startswith(PREFIX):
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    for status, text in _DOCUMENTED.items():
                        responses.setdefault(status, {"description": text})
        return schema

    # FastAPI's documented way to extend the schema; its stub types `openapi` as a method.
    app.openapi = openapi  # type: ignore[method-assign]
