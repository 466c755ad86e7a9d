"""Helpers for the catalogue's tests: sample inputs, and reading what the catalogue emitted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
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
    return [
        e
        for e in await emitted(engine, after=after, type_prefix="catalogue.event.")
        if e.payload["event_id"] == str(event_id)
    ]
