"""The widget's honeypot: a field people never see (`website`), which form-filling robots
fill in. A booking request with it filled is refused before it reaches the booking logic.

Only booking requests are read, and only those whose body mentions the field are parsed:
every other request passes untouched."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.bookings.api.asgi_answers import send_json
from shared.logging import get_logger

log = get_logger(__name__)
FIELD = "website"
_MARK = f'"{FIELD}"'.encode()


def _is_booking(scope: Scope) -> bool:
    path = scope["path"]
    return (
        scope["method"] == "POST"
        and path.startswith("/public/events/")
        and path.endswith("/bookings")
    )


def _filled(body: bytes) -> bool:
    if _MARK not in body:
        return False
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False  # the route answers the malformed body itself
    return isinstance(parsed, dict) and bool(parsed.get(FIELD))


def refusal(body: bytes) -> dict[str, object] | None:
    """The 422 body for a booking request with the field filled in, else None."""
    if not _filled(body):
        return None
    log.warning("booking.honeypot_filled")
    detail = [{"loc": ["body", FIELD], "msg": "leave this field empty", "type": "honeypot"}]
    return {"detail": detail, "code": "validation_error"}


class HoneypotMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_booking(scope):
            await self.app(scope, receive, send)
            return
        # The body is small (the size limit outside this middleware saw to that): read it
        # whole, then hand the same bytes to the route.
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nothing to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refused = refusal(body)
        if refused is not None:
            await send_json(send, 422, refused)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
