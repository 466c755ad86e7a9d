"""The hot lane answers the booking POST as the full middleware stack and FastAPI route do:
each request below is sent through both, and the status, body and headers must agree."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from services.bookings.process import BookingsProcess
from shared.hot_lane import HotLane
from tests.bookings.conftest import event_state, person, put_event

# What differs between two answers to the same request by design: ids made per answer.
_PER_ANSWER = {"x-request-id", "content-length"}


@pytest_asyncio.fixture(loop_scope="session")
async def full_stack(
    bookings_app: tuple[FastAPI, httpx.AsyncClient],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same running app through its full stack, bypassing the lane."""
    app, client = bookings_app
    await client.get("/healthz")  # the app builds its stack on its first request
    lane = app.middleware_stack
    assert isinstance(lane, HotLane)

    async def full(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await lane.full(scope, receive, send)

    transport = httpx.ASGITransport(app=full)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        yield other


def _headers(answer: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k not in _PER_ANSWER}


def _comparable(answer: httpx.Response) -> Any:
    body = answer.json()
    if answer.status_code == 201:
        # A new booking each time: its ids and link differ, its shape and status do not.
        return sorted(body), body["status"], body["waitlist_position"]
    return body


_BAD_EMAIL = {**person(1), "email": "not-an-address"}
_CASES: list[tuple[str, dict[str, Any]]] = [
    ("booked", {"json": "person"}),
    ("booked with a key", {"json": "person", "headers": {"Idempotency-Key": "k"}}),
    ("bad email", {"json": _BAD_EMAIL}),
    ("field missing", {"json": {"name": "A"}}),
    ("not an object", {"json": [1, 2]}),
    ("not JSON", {"content": b"{nope", "headers": {"content-type": "application/json"}}),
    ("no content type", {"content": b'{"name": "A"}'}),
    ("text content type", {"content": b"{}", "headers": {"content-type": "text/plain"}}),
    ("honeypot", {"json": {**person(2), "website": "http://spam.example"}}),
    ("NUL in the body", {"json": {**person(3), "name": "A\u0000B"}}),
    ("too large", {"json": {**person(4), "role": "x" * 3_000_000}}),
    ("bad key", {"json": "person", "headers": {"Idempotency-Key": "a b"}}),
    ("unknown partner", {"json": "person", "headers": {"X-Partner-Key": "nobody"}}),
    ("foreign origin", {"json": "person", "headers": {"Origin": "https://evil.example"}}),
    ("bad invitation", {"json": "person", "params": {"invitation": "forged"}}),
    ("NUL in the query", {"json": "person", "params": {"x": "\u0000"}}),
]


@pytest.mark.parametrize(("case", "request_"), _CASES, ids=[c for c, _ in _CASES])
async def test_the_lane_answers_as_the_full_stack(
    client: httpx.AsyncClient,
    full_stack: httpx.AsyncClient,
    process: BookingsProcess,
    case: str,
    request_: dict[str, Any],
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=5))
    answers = []
    for n, via in enumerate((client, full_stack)):
        sent = dict(request_)
        if sent.get("json") == "person":
            sent["json"] = person(10 + n)
        if "headers" in sent and "Idempotency-Key" in sent["headers"]:
            sent["headers"] = {
                **sent["headers"],
                "Idempotency-Key": f"{case}-{n}".replace(" ", "-"),
            }
            if case == "bad key":
                sent["headers"]["Idempotency-Key"] = "a b"
        answers.append(await via.post(f"/public/events/{state.event_id}/bookings", **sent))
    lane, full = answers
    assert lane.status_code == full.status_code, (lane.text, full.text)
    assert _comparable(lane) == _comparable(full)
    assert _headers(lane) == _headers(full)
    assert lane.headers["x-request-id"]


async def test_an_unknown_event_and_an_odd_id_answer_as_before(
    client: httpx.AsyncClient, full_stack: httpx.AsyncClient
) -> None:
    for path in (f"/public/events/{uuid.uuid4()}/bookings", "/public/events/nope/bookings"):
        lane = await client.post(path, json=person(1))
        full = await full_stack.post(path, json=person(1))
        assert (lane.status_code, lane.json()) == (full.status_code, full.json())
        assert _headers(lane) == _headers(full)
