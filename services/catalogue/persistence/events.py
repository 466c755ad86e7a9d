"""Loading and saving events inside a unit of work."""

from __future__ import annotations

import uuid
from dataclasses import asdict, fields

import sqlalchemy as sa

from services.catalogue.domain.events import Event
from services.catalogue.persistence.tables import events
from shared.db import UnitOfWork
from shared.errors import NotFound

_COLUMNS = [events.c[f.name] for f in fields(Event)]


def _row_to_event(row: sa.Row) -> Event:
    return Event(**row._mapping)


async def get(uow: UnitOfWork, event_id: uuid.UUID, *, for_update: bool = False) -> Event:
    query = sa.select(*_COLUMNS).where(events.c.id == event_id)
    if for_update:
        query = query.with_for_update()
    row = (await uow.execute(query)).first()
    if row is None:
        raise NotFound("no such event", code="event_not_found")
    return _row_to_event(row)


async def slug_taken(uow: UnitOfWork, slug: str) -> bool:
    return (
        await uow.execute(sa.select(sa.literal(1)).where(events.c.slug == slug))
    ).first() is not None


async def add(uow: UnitOfWork, event: Event) -> None:
    await uow.execute(sa.insert(events).values(**asdict(event)))


async def save(uow: UnitOfWork, event: Event) -> None:
    values = asdict(event)
    values.pop("id")
    await uow.execute(
        sa.update(events).where(events.c.id == event.id).values(**values, updated_at=sa.func.now())
    )


async def list_published(uow: UnitOfWork) -> list[Event]:
    rows = await uow.execute(
        sa.select(*_COLUMNS).where(events.c.status == "published").order_by(events.c.starts_at)
    )
    return [_row_to_event(row) for row in rows]
