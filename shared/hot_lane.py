"""One ASGI layer for a service's few hot routes, in place of the middleware chain.

A request through the full stack passes about ten ASGI layers (Starlette's and FastAPI's own,
then proxy headers, request context, security headers, the body guard, a service's own edge),
the router and FastAPI's dependency solving: under a rush that was most of a booking's CPU in
the HTTP worker. A hot route gets the same edge here, inline and in the same order, from the
same functions the middlewares use (`shared/proxies.py`, `shared/web.py`, `shared/http_guards.py`,
`shared/errors.py`), then its own checks and handler.

The handler parses only what it can parse exactly as FastAPI would; anything else (a malformed
body, a refused field or header) it hands back, and the request goes on to the route's FastAPI
endpoint inside the app's exception handling, with the body it already read: the answer is
then the same 422 as ever. Requests the lane does not take go through the full stack untouched.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import error_answer
from shared.http_guards import BodyCheck, Refused, scope_refusal, with_security_headers
from shared.logging import log_context
from shared.proxies import TrustedProxies
from shared.staff_actions import staff_command_scope
from shared.web import REQUEST_ID, correlation_id_of, record_request

Headers = list[tuple[bytes, bytes]]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: Headers = field(default_factory=list)
    # False for the edge's own refusals, given before any route was chosen.
    routed: bool = True
    content_type: bytes = b"application/json"


def json_answer(
    status: int, body: object, headers: Headers | None = None, *, routed: bool = False
) -> Answer:
    """An answer in the services' error shape; by default one of the edge's refusals."""
    return Answer(status, orjson.dumps(body), list(headers or []), routed)


class PASS:
    """Returned by a handler that leaves the request to the route's FastAPI endpoint."""


class HotRoute(Protocol):
    path: str  # the route's template: its label in the log line and the metrics

    def match(self, scope: Scope) -> Any | None:
        """What the handler needs from the path, or None if the lane does not take this."""

    async def admit(self, scope: Scope) -> tuple[Answer | None, Headers]:
        """The service's edge before the body: a refusal, and headers for every answer."""

    async def handle(self, scope: Scope, matched: Any, body: bytes) -> Answer | type[PASS]:
        """The answer; raises as a route does (domain errors, validation errors)."""


def _inner(stack: ASGIApp) -> ASGIApp:
    """The app's exception handling and router, under the middlewares (Starlette nests them as
    `.app`): where a handed-back request continues, as if it had passed them."""
    node: Any = stack
    while not isinstance(node, ExceptionMiddleware):
        node = node.app
    return node


class HotLane:
    def __init__(
        self,
        full: ASGIApp,
        routes: Sequence[HotRoute],
        *,
        max_bytes: int,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        self.full = full
        self.inner = _inner(full)
        self.routes = tuple(routes)
        self.max_bytes = max_bytes
        self.trusted = TrustedProxies(trusted_proxies) if trusted_proxies else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                matched = route.match(scope)
                if matched is not None:
                    await self._serve(route, matched, scope, receive, send)
                    return
        await self.full(scope, receive, send)

    async def _serve(
        self, route: HotRoute, matched: Any, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        if self.trusted is not None:
            self.trusted.rewrite(scope)
        correlation_id = correlation_id_of(scope)
        request_id = (REQUEST_ID, correlation_id.encode())
        status = 500  # as the request context records a request that was never answered
        label = _UNMATCHED
        with log_context(correlation_id=correlation_id, message_id=None), staff_command_scope():
            try:
                answer, handed = await self._answer(route, matched, scope, receive)
                if handed is not None:
                    extra, body = handed
                    started_answer = False

                    async def sending(message: Message) -> None:
                        nonlocal status, started_answer
                        if message["type"] == "http.response.start":
                            status, started_answer = message["status"], True
                            message["headers"] = _finish(message.get("headers", []), extra)
                            message["headers"].append(request_id)
                        await send(message)

                    try:
                        await self.inner(scope, _replay(body, receive), sending)
                    except Exception as exc:
                        # What the app's outermost handler (ServerErrorMiddleware) answered.
                        if started_answer:
                            raise
                        status = 500
                        await _send(send, _error(exc, routed=False), request_id)
                    label = getattr(scope.get("route"), "path", None) or _UNMATCHED
                elif answer is not None:
                    status = answer.status
                    if answer.routed:
                        label = route.path
                    await _send(send, answer, request_id)
            finally:
                record_request(scope["method"], label, status, time.perf_counter() - started)

    async def _answer(
        self, route: HotRoute, matched: Any, scope: Scope, receive: Receive
    ) -> tuple[Answer | None, tuple[Headers, bytes] | None]:
        """The answer, or (the headers, the body) of a request handed to the endpoint; (None,
        None) if the client went away before its body arrived."""
        refused = scope_refusal(scope, self.max_bytes)
        if refused is not None:
            return json_answer(*refused), None
        try:
            refusal, extra = await route.admit(scope)
        except Exception as exc:  # the edge's own lookups (a partner key) met the database
            return _error(exc, routed=False), None
        if refusal is not None:
            return refusal, None
        try:
            body = await _read_body(receive, self.max_bytes)
        except Refused as exc:
            # The guard answers outside the service's edge: no edge headers, as before.
            return json_answer(exc.status_code, {"detail": exc.detail, "code": _code(exc)}), None
        if body is None:
            return None, None
        try:
            answer = await route.handle(scope, matched, body)
        except Exception as exc:
            answer = _error(exc, routed=True)
        if answer is PASS:
            return None, (extra, body)
        assert isinstance(answer, Answer)
        answer.headers += [(k, v) for k, v in extra if k not in {n for n, _ in answer.headers}]
        return answer, None


# The log line's and metrics' route for answers given before the router chose a route, as
# the request context labels them.
_UNMATCHED = "unmatched"


def _error(exc: Exception, *, routed: bool) -> Answer:
    response = error_answer(exc)
    return Answer(response.status_code, bytes(response.body), _own(response.raw_headers), routed)


def _code(exc: Refused) -> str:
    return f"http_{exc.status_code}"


def _own(raw: list[tuple[bytes, bytes]]) -> Headers:
    # The response's own content headers are set again when it is sent.
    return [(k, v) for k, v in raw if k not in (b"content-type", b"content-length")]


def _finish(raw: Any, extra: Headers) -> Headers:
    headers = list(raw)
    present = {name.lower() for name, _ in headers}
    headers += [(k, v) for k, v in extra if k not in present]
    return with_security_headers(headers)


async def _send(send: Send, answer: Answer, request_id: tuple[bytes, bytes]) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    present = {b"content-type", b"content-length"}
    headers += [(k, v) for k, v in answer.headers if k not in present]
    headers = with_security_headers(headers)
    headers.append(request_id)
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body under the guard's rules (raises `Refused`); None if the client left."""
    check = BodyCheck(max_bytes)
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        check.feed(chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
