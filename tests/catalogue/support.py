"""Helpers for the catalogue's tests: sample inputs, and reading what the catalogue emitted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import Envelope
from shared.messaging.schema import outbox_table


def at(days: float, hour: int = 9) -> datetime:
    """A time `days` from now at `hour` UTC, always in the future for positive days."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def minimal_event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": unique("Event"),
        "starts_at": iso(at(30, 9)),
        "ends_at": iso(at(30, 17)),
        "capacity": 40,
    }
    body.update(overrides)
    return body


async def outbox_mark(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (
                await conn.execute(sa.select(sa.func.coalesce(sa.func.max(outbox_table.c.id), 0)))
            ).scalar_one()
        )


async def outbox_backlog(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(outbox_table.c.published_at.is_(None))
        return int((await conn.execute(query)).scalar_one())


async def emitted(engine: AsyncEngine, *, after: int = 0, type_prefix: str = "") -> list[Envelope]:
    """Messages written to the outbox after `after`, in commit order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox_table.c.body)
            .where(outbox_table.c.id > after, outbox_table.c.routing_key.startswith(type_prefix))
            .order_by(outbox_table.c.id)
        )
        return [Envelope.from_json(row.body) for row in rows]


async def emitted_for(
    engine: AsyncEngine, event_id: str | uuid.UUID, *, after: int = 0
) -> list[Envelope]:
    """The messages about one event written after `after`, in commit order."""
    payload_event = (
        sa.func.convert_from(outbox_table.c.body, "UTF8").cast(JSONB)["payload"]["event_id"].astext
    )
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox_table.c.body)
            .where(
                outbox_table.c.id > after,
                outbox_table.c.routing_key.startswith("catalogue.event."),
                payload_event == str(event_id),
            )
            .order_by(outbox_table.c.id)
        )
        return [Envelope.from_json(row.body) for row in rows]


async def created(
    client: Any, url: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def make_programme(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {
        "name": unique("Programme"),
        "expectations": [
            {"name": "Lead from place"},
            {"name": "Build trust"},
            {"name": "Act collaboratively"},
        ],
    }
    body.update(overrides)
    return await created(client, "/staff/programmes", body, headers)


async def make_cohort(
    client: Any, headers: dict[str, str], programme_id: str, number: int = 1
) -> dict[str, Any]:
    return await created(
        client, "/staff/cohorts", {"programme_id": programme_id, "number": number}, headers
    )


async def make_venue(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"name": unique("Venue"), "address": "1 Street, Salford", "accessibility": "Step-free"}
    body.update(overrides)
    return await created(client, "/staff/venues", body, headers)


async def make_person(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"name": unique("Person"), "title": "Director", "organisation": "Leading GM"}
    body.update(overrides)
    return await created(client, "/staff/people", body, headers)


async def make_event(
    client: Any, headers: dict[str, str], *, publish: bool = False, **overrides: Any
) -> dict[str, Any]:
    event = await created(client, "/staff/events", minimal_event(**overrides), headers)
    if publish:
        response = await client.post(f"/staff/events/{event['id']}/publish", headers=headers)
        assert response.status_code == 200, response.text
        event = response.json()
    return event


def error_fields(response: Any) -> list[str]:
    """The fields a 422 names, as dotted paths without the leading 'body'."""
    assert response.status_code == 422, response.text
    return [".".join(str(p) for p in err["loc"][1:]) for err in response.json()["detail"]]
