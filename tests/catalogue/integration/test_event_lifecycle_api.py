"""The event lifecycle over HTTP: cancel with a reason, complete then share slides, delete
only drafts; each asserting the answer and the messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import EventCancelled
from tests.catalogue.support import emitted_for, error_fields, iso, make_event, outbox_mark

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]


async def test_cancel_sends_the_final_state_with_the_reason(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    event = await make_event(client, staff_headers, publish=True)
    url = f"/staff/events/{event['id']}"
    no_reason = await client.post(f"{url}/cancel", json={"reason": "  "}, headers=staff_headers)
    assert error_fields(no_reason) == ["reason"]
    mark = await outbox_mark(engine)
    response = await client.post(
        f"{url}/cancel", json={"reason": "Venue flooded"}, headers=staff_headers
    )
    assert (response.json()["status"], response.json()["version"]) == ("cancelled", 2)
    [message] = await emitted_for(engine, event["id"], after=mark)
    assert message.type == "catalogue.event.cancelled"
    state = EventCancelled.model_validate(message.payload)
    assert (state.reason, state.version, state.status) == ("Venue flooded", 2, "cancelled")
    for attempt in (
        client.post(f"{url}/cancel", json={"reason": "again"}, headers=staff_headers),
        client.patch(url, json={"title": "Back"}, headers=staff_headers),
        client.post(f"{url}/publish", headers=staff_headers),
    ):
        assert (await attempt).status_code == 409


async def test_complete_then_share_slides(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    future = await make_event(client, staff_headers, publish=True)
    early = await client.post(f"/staff/events/{future['id']}/complete", headers=staff_headers)
    assert (early.status_code, early.json()["code"]) == (409, "not_started")

    now = datetime.now(UTC)
    event = await make_event(
        client,
        staff_headers,
        publish=True,
        starts_at=iso(now - timedelta(hours=1)),
        ends_at=iso(now + timedelta(hours=2)),
    )
    url = f"/staff/events/{event['id']}"
    mark = await outbox_mark(engine)
    done = await client.post(f"{url}/complete", headers=staff_headers)
    assert (done.json()["status"], done.json()["version"]) == ("completed", 2)
    slides = {
        "resources": [{"title": "Slides", "url": "https://example.org/s.pdf", "kind": "slides"}]
    }
    shared = await client.patch(url, json=slides, headers=staff_headers)
    assert shared.json()["version"] == 3
    frozen = await client.patch(url, json={"capacity": 1}, headers=staff_headers)
    assert (frozen.status_code, frozen.json()["code"]) == (409, "event_completed")
    messages = await emitted_for(engine, event["id"], after=mark)
    assert [(m.payload["status"], m.payload["version"]) for m in messages] == [
        ("completed", 2),
        ("completed", 3),
    ]
    assert messages[-1].payload["resources"][0]["title"] == "Slides"


async def test_only_drafts_are_deleted(client: httpx.AsyncClient, staff_headers: Headers) -> None:
    draft = await make_event(client, staff_headers)
    live = await make_event(client, staff_headers, publish=True)
    assert (
        await client.delete(f"/staff/events/{live['id']}", headers=staff_headers)
    ).status_code == 409
    assert (
        await client.delete(f"/staff/events/{draft['id']}", headers=staff_headers)
    ).status_code == 204
    assert (
        await client.get(f"/staff/events/{draft['id']}", headers=staff_headers)
    ).status_code == 404
