"""Use cases: one small function per staff command, each one unit of work."""

from __future__ import annotations

import uuid

from services.catalogue.api.schemas import EventCreate
from services.catalogue.domain import events as rules
from services.catalogue.persistence import events as store
from services.catalogue.persistence import tally
from shared.contracts import BookingState
from shared.db import Database, UnitOfWork
from shared.errors import Conflict


async def create_event(db: Database, data: EventCreate) -> rules.Event:
    event = rules.Event(
        id=uuid.uuid4(),
        slug=data.slug or f"{rules.slugify(data.title)}-{uuid.uuid4().hex[:6]}",
        kind=data.kind,
        title=data.title,
        summary=data.summary,
        timezone=data.timezone,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        waitlist_enabled=data.waitlist_enabled,
    )
    async with db.unit_of_work() as uow:
        if await store.slug_taken(uow, event.slug):
            raise Conflict("an event already uses this slug", code="slug_taken")
        await store.add(uow, event)
        await uow.commit()
    return event


async def publish_event(db: Database, event_id: uuid.UUID) -> rules.Event:
    async with db.unit_of_work() as uow:
        event = rules.publish(await store.get(uow, event_id, for_update=True))
        await store.save(uow, event)
        uow.emit("catalogue.event.published", rules.to_state(event))
        await uow.commit()
    return event


async def record_booking(booking: BookingState, uow: UnitOfWork) -> None:
    await tally.apply(uow, booking)
