"""Seeds the demo programme into the catalogue, once (running it again changes nothing).

    python -m devtools.seed

Writes through the catalogue's own use cases, so every published event leaves a message in
the catalogue's outbox, which the catalogue publishes when it starts.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from services.catalogue import handlers
from services.catalogue.api.schemas import EventCreate
from services.catalogue.persistence.tables import events
from services.catalogue.settings import CatalogueSettings
from shared.db import Database, make_engine


def _at(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


DEMO_EVENTS = [
    EventCreate(
        title="Adaptive Leadership masterclass",
        slug="adaptive-leadership-masterclass",
        kind="masterclass",
        summary="A free masterclass open to any leader in Greater Manchester, from the public, "
        "private, voluntary and community sectors.",
        starts_at=_at(30, 9, 30),
        ends_at=_at(30, 12, 30),
        capacity=60,
    ),
]


async def seed(settings: CatalogueSettings) -> int:
    db = Database(make_engine(settings.database_url), producer=settings.service_name)
    created = 0
    try:
        for data in DEMO_EVENTS:
            async with db.engine.connect() as conn:
                exists = (
                    await conn.execute(sa.select(events.c.id).where(events.c.slug == data.slug))
                ).first()
            if exists:
                continue
            event = await handlers.create_event(db, data)
            await handlers.publish_event(db, event.id)
            created += 1
    finally:
        await db.dispose()
    return created


def main() -> int:
    created = asyncio.run(seed(CatalogueSettings()))
    print(
        f"demo programme: {created} events created" if created else "demo programme already there"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
