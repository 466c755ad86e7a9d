"""Small answers sent straight from the bookings middlewares, in the service's error shape."""

from __future__ import annotations

import orjson
from starlette.types import Send

Headers = list[tuple[bytes, bytes]]


async def send_json(send: Send, status: int, body: object, headers: Headers = ()) -> None:  # type: ignore[assignment]
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def with_headers(send: Send, extra: Headers) -> Send:
    """`send`, adding headers to the response (without repeating one already there)."""

    async def sending(message: dict) -> None:  # type: ignore[type-arg]
        if message["type"] == "http.response.start" and extra:
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(k, v) for k, v in extra if k not in present]
            message["headers"] = headers
        await send(message)

    return sending  # type: ignore[return-value]
