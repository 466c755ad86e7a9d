"""Guards every service's HTTP edge shares: response security headers, and refusing request
bodies that are too large or carry NUL characters before any route sees them."""

from __future__ import annotations

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
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and not docs:
                    extra += [
                        (b"content-security-policy", _HTML_POLICY.encode()),
                        (b"x-frame-options", b"DENY"),
                    ]
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Refused(HTTPException):
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
        if (
            "\x00" in scope["path"]
            or b"%00" in scope["query_string"]
            or b"\x00" in scope["query_string"]
        ):
            where = "path" if "\x00" in scope["path"] else "query"
            await send_json(send, 422, {"detail": _nul_error(where), "code": "validation_error"})
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_json(send, 413, _TOO_LARGE)
            return
        received = 0
        tail = b""
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    raise _Refused(413, _TOO_LARGE["detail"])
                window = tail + chunk
                if _JSON_NUL in window or b"\x00" in chunk:
                    raise _Refused(422, _nul_error("body"))
                tail = window[-(len(_JSON_NUL) - 1) :]
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracking_send)
        except _Refused as refused:
            if not started:
                await send_json(
                    send,
                    refused.status_code,
                    {"detail": refused.detail, "code": f"http_{refused.status_code}"},
                )


_TOO_LARGE = {"detail": "request body too large", "code": "http_413"}


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
