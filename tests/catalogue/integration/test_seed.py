"""The demo seed: the whole programme on a first run, nothing more (and no message) after."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from devtools.seed import seed
from devtools.seed_data import PROGRAMME_SLUG
from services.catalogue.persistence.tables import event_sessions, events
from tests.catalogue.support import at, emitted, outbox_mark
from tests.conftest import settings_for
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_seed_once_then_nothing(
    infra: Infra, engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    # An earlier demo's masterclass, made before programmes existed (migration 0002 gave it
    # its one session), is adopted, not doubled.
    legacy = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(events).values(
                id=legacy,
                slug="adaptive-leadership-masterclass",
                title="Old masterclass",
                starts_at=at(9, 9),
                ends_at=at(9, 12),
                capacity=10,
                status="published",
                version=1,
            )
        )
        await conn.execute(
            sa.insert(event_sessions).values(
                id=uuid.uuid4(), event_id=legacy, position=0, starts_at=at(9, 9), ends_at=at(9, 12)
            )
        )
    settings = settings_for("catalogue", infra)
    first = await seed(settings)
    assert first == {
        "programmes": 1,
        "cohorts": 2,
        "delegates": 76,
        "venues": 4,
        "people": 3,
        "events": 3,
        "events adopted": 1,
    }
    mark = await outbox_mark(engine)
    assert await seed(settings) == {}
    assert await emitted(engine, after=mark) == []

    listed = (await client.get("/events", params={"programme": PROGRAMME_SLUG})).json()
    by_slug = {e["slug"]: e for e in listed}
    assert list(by_slug) == [
        "adaptive-leadership-masterclass",
        "driving-place-leadership",
        "immersion-days",
        "reunion-and-reflection",
    ]
    launch = by_slug["driving-place-leadership"]
    assert [o["name"] for o in launch["options"]] == ["Street Wisdom", "The A Teams", "Barnabus"]
    assert len(launch["sessions"]) == 2 and launch["audience"]["kind"] == "cohorts"
    immersion = by_slug["immersion-days"]
    gap = [s["starts_at"] for s in immersion["sessions"]]
    assert immersion["venue"]["name"] == "Salford Innovation Forum" and len(gap) == 2
    assert by_slug["reunion-and-reflection"]["venue"]["name"] == "The Life Centre"
    masterclass = by_slug["adaptive-leadership-masterclass"]
    assert masterclass["audience"]["kind"] == "public" and masterclass["version"] == 2
    assert masterclass["title"] == "Adaptive Leadership masterclass"
    for event in listed:  # bookable: all in the coming months
        assert at(0) < datetime.fromisoformat(event["starts_at"]) < at(150)
    one_slug = await client.get("/events/adaptive-leadership-masterclass")
    assert one_slug.status_code == 200
