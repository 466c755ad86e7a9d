"""Guards every service's HTTP edge shares: response security headers, and refusing request
bodies that are too large or carry NUL characters before any route sees them."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DOCS_PATHS = ("/docs", "/redoc")
_HTML_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# A JSON body spells NUL as \u0000; the six bytes may straddle two chunks.
_JSON_NUL = b"\\u0000"


class SecurityHeadersMiddleware:
    """Headers every response gets, and a strict content policy on HTML pages.

    `Referrer-Policy: no-referrer` matters here: manage links carry a secret token in the URL,
    which must not leak to another site through the Referer header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(_DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(message.get("headers", []), docs=docs)
            await send(message)

        await self.app(scope, receive, send_with_headers)


_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
_HTML_ONLY = [(b"content-security-policy", _HTML_POLICY.encode()), (b"x-frame-options", b"DENY")]


def with_security_headers(
    raw: Iterable[tuple[bytes, bytes]], *, docs: bool = False
) -> list[tuple[bytes, bytes]]:
    """A response's headers plus the security headers it lacks (shared with the hot lane)."""
    headers = list(raw)
    present = {name.lower() for name, _ in headers}
    extra = _ALWAYS
    content_type = dict(headers).get(b"content-type", b"")
    if content_type.startswith(b"text/html") and not docs:
        extra = _ALWAYS + _HTML_ONLY
    headers += [(k, v) for k, v in extra if k not in present]
    return headers


class Refused(HTTPException):
    """Raised from `receive`, so the app's own error handling answers wherever the body is
    being read; FastAPI passes HTTPExceptions raised while reading a body through. FastAPI's
    (not Starlette's) because the detail may be a list of field errors."""


def _nul_error(where: str) -> list[dict[str, object]]:
    return [{"loc": [where], "msg": "NUL characters are not allowed", "type": "value_error"}]


class RequestGuardMiddleware:
    """413 for a body over the limit, counting what arrives (a missing or false Content-Length
    gets nothing bigger through); 422 for NUL characters in the path, query or body, which
    PostgreSQL cannot store and no person types."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = scope_refusal(scope, self.max_bytes)
        if refused is not None:
            await send_json(send, *refused)
            return
        check = BodyCheck(self.max_bytes)
        started = False

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                check.feed(message.get("body", b""))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except Refused as exc:
            if not started:
                await send_json(
                    send, exc.status_code, {"detail": exc.detail, "code": f"http_{exc.status_code}"}
                )


_TOO_LARGE = {"detail": "request body too large", "code": "http_413"}


def scope_refusal(scope: Scope, max_bytes: int) -> tuple[int, object] | None:
    """The guard's answer from the request line and headers alone: NUL in the path or query,
    or a declared length over the limit."""
    path, query = scope["path"], scope["query_string"]
    if "\x00" in path or b"%00" in query or b"\x00" in query:
        where = "path" if "\x00" in path else "query"
        return 422, {"detail": _nul_error(where), "code": "validation_error"}
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        return 413, _TOO_LARGE
    return None


class BodyCheck:
    """The body's part of the guard, chunk by chunk as it arrives: raises `Refused`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.received = 0
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_bytes:
            raise Refused(413, _TOO_LARGE["detail"])
        window = self.tail + chunk
        if _JSON_NUL in window or b"\x00" in chunk:
            raise Refused(422, _nul_error("body"))
        self.tail = window[-(len(_JSON_NUL) - 1) :]


async def send_json(
    send: Send, status: int, body: object, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A small JSON answer sent straight from a middleware, in the services' error shape."""
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
