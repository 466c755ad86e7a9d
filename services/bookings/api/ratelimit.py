"""Rate limits on the public routes, per client address and route group: 429 with
Retry-After once a client's bucket is empty.

The buckets live in this process's memory: with several replicas behind a load balancer a
client gets up to that many times the allowance. A deployment that needs one exact limit
across replicas would keep the buckets in a shared store (e.g. Redis) instead; the rest of
this module would not change. The client address is the request's, which
shared/proxies.py takes from `X-Forwarded-For` only when the peer is one of
`TRUSTED_PROXIES`; IPv6 clients are counted per /64.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers as StarletteHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from services.bookings.api.asgi_answers import Headers, send_json
from services.bookings.domain.rate_limits import (
    Buckets,
    Limit,
    client_key,
    retry_after,
    route_group,
)
from shared.logging import get_logger

log = get_logger(__name__)
_LOG_EVERY = 100


class RateLimiter:
    """The buckets of one process, shared by the middleware and the hot lane."""

    def __init__(self, limits: dict[str, Limit]) -> None:
        self.buckets = Buckets(limits)
        self.refused = 0

    def refusal(self, scope: Scope) -> tuple[int, dict[str, str], Headers] | None:
        """None if the request may go ahead, else the 429 to answer."""
        group = route_group(scope["method"], scope["path"])
        if group is None:
            return None
        client = scope.get("client")
        address = client_key(client[0]) if client else "unknown"
        wait = self.buckets.take(group, address, time.monotonic())
        if not wait:
            return None
        seconds = retry_after(wait)
        self.refused += 1
        if self.refused % _LOG_EVERY == 1:
            # One line per hundred refusals: a flood must not become a flood of log lines
            # (each refusal is still counted in http_requests_total with status 429).
            log.warning("http.rate_limited", group=group, retry_after=seconds, refused=self.refused)
        headers = [(b"retry-after", str(seconds).encode())]
        origin = StarletteHeaders(scope=scope).get("origin")
        if origin:
            # Readable by the widget on any site, so it can ask the person to wait; the
            # answer says nothing but "wait".
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", b"retry-after"),
                (b"vary", b"origin"),
            ]
        body = {"detail": f"too many requests: try again in {seconds} s", "code": "rate_limited"}
        return 429, body, headers


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.limiter.refusal(scope) if scope["type"] == "http" else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        await send_json(send, *refused)
