"""CORS for the public API, by partner: a cross-origin request must carry an active partner's
key (`X-Partner-Key`, or `?partner=` where a header would cost a preflight) and come from one
of the origins registered for that key.

Refusals are 403 with a stable `code`, and still carry `Access-Control-Allow-Origin`, so the
widget can read them and say something polite: the body reveals nothing but the refusal.
Requests without an `Origin` (servers, scripts) or from this service's own pages are not
cross-origin and pass; a key they present must still be an active one.
"""

from __future__ import annotations

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from services.bookings.api.asgi_answers import Headers as AnswerHeaders
from services.bookings.api.asgi_answers import send_json, with_headers
from services.bookings.domain.origins import origin_allowed, same_origin
from services.bookings.usecases import partners
from services.bookings.usecases.widget import WidgetLookups

PREFIX = "/public/"
_MAX_KEY = 100
_ALLOW_METHODS = b"GET, POST, PATCH"
_ALLOW_HEADERS = b"content-type, x-partner-key, idempotency-key, x-request-id"
_EXPOSE = b"retry-after, x-request-id"
_REFUSALS = {
    "unknown_partner": "this partner key is not registered or no longer active",
    "partner_required": "requests from another site need that site's partner key",
    "origin_not_allowed": "this site is not registered for this partner key",
}


def lookups(scope: Scope) -> WidgetLookups:
    """The process's widget lookups, made on first use (the database exists from startup)."""
    state = scope["app"].state
    found = getattr(state, "widget_lookups", None)
    if found is None:
        process = state.bookings
        found = WidgetLookups(process.db, process.settings.partner_cache_seconds)
        state.widget_lookups = found
    return found


async def partner_check(
    scope: Scope, headers: Headers, origin: str | None
) -> tuple[dict[str, str] | None, AnswerHeaders]:
    """The 403 body of a refused request (or None), and the CORS headers of every answer to
    it; shared by the middleware and the hot booking route."""
    key = headers.get("x-partner-key") or QueryParams(scope["query_string"]).get("partner")
    # The origin of a cross-origin request; None for no origin or this service's own pages.
    cross = origin if origin is not None and not _own(scope, headers, origin) else None
    extra = [(b"vary", b"origin")]
    if cross is not None:
        extra += [
            (b"access-control-allow-origin", cross.encode("latin-1")),
            (b"access-control-expose-headers", _EXPOSE),
        ]
    refusal = await _refusal(scope, key, cross)
    if refusal is not None:
        return {"detail": _REFUSALS[refusal], "code": refusal}, extra
    return None, extra


def _own(scope: Scope, headers: Headers, origin: str) -> bool:
    settings = scope["app"].state.bookings.settings
    return same_origin(origin, headers.get("host", ""), settings.public_base_url)


async def _refusal(scope: Scope, key: str | None, cross_origin: str | None) -> str | None:
    partner = None
    if key is not None:
        process = scope["app"].state.bookings
        if len(key) <= _MAX_KEY:
            partner = await partners.active_by_key(process.db, process.partner_keys, key)
        if partner is None:
            return "unknown_partner"
    if cross_origin is None:
        return None
    if partner is None:
        return "partner_required"
    if not origin_allowed(cross_origin, partner.allowed_origins):
        return "origin_not_allowed"
    return None


class PartnerCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(scope, send, origin)
            return
        refusal, extra = await partner_check(scope, headers, origin)
        if refusal is not None:
            await send_json(send, 403, refusal, extra)
            return
        await self.app(scope, receive, with_headers(send, extra))

    async def _preflight(self, scope: Scope, send: Send, origin: str | None) -> None:
        """A preflight carries no key, so it is answered for any origin some active partner
        registered; the request that follows is checked against its own key."""
        headers = Headers(scope=scope)
        allowed = origin is not None and (
            _own(scope, headers, origin) or await lookups(scope).origin_registered(origin)
        )
        if not allowed:
            body = {"detail": _REFUSALS["origin_not_allowed"], "code": "origin_not_allowed"}
            await send_json(send, 403, body, [(b"vary", b"origin")])
            return
        assert origin is not None
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-methods", _ALLOW_METHODS),
                    (b"access-control-allow-headers", _ALLOW_HEADERS),
                    (b"access-control-max-age", b"600"),
                    (b"vary", b"origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
