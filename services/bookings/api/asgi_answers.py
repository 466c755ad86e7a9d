"""Small answers sent straight from the bookings middlewares, in the service's error shape."""

from __future__ import annotations

from starlette.types import Message, Send

from shared.http_guards import send_json

__all__ = ["send_json", "with_headers"]

Headers = list[tuple[bytes, bytes]]


def with_headers(send: Send, extra: Headers) -> Send:
    """`send`, adding headers to the response (without repeating one already there)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and extra:
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(k, v) for k, v in extra if k not in present]
            message["headers"] = headers
        await send(message)

    return sending
