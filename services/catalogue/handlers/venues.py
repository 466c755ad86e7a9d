"""Venue use cases. A venue's details are part of every published event held there."""

from __future__ import annotations

import uuid
from dataclasses import replace

from services.catalogue.api.schemas.venues import VenueCreate, VenueUpdate
from services.catalogue.domain.venues import Venue
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.handlers.publishing import republish_using
from services.catalogue.persistence import event_queries, records
from services.catalogue.persistence import venues as store
from shared.db import Database
from shared.errors import Conflict
from shared.staff_actions import describe_staff_action


async def create_venue(db: Database, data: VenueCreate) -> Venue:
    venue = Venue(id=uuid.uuid4(), **data.model_dump())
    describe_staff_action(target_id=venue.id)
    async with db.unit_of_work() as uow:
        await store.add(uow, venue)
        await uow.commit()
    return venue


async def update_venue(db: Database, venue_id: uuid.UUID, data: VenueUpdate) -> Venue:
    async with db.unit_of_work() as uow:
        venue = await store.get(uow, venue_id, for_update=True)
        updated = replace(venue, **data.changes())
        if updated != venue:
            await store.save(uow, updated)
            await republish_using(uow, venue_id=venue_id)
            await uow.commit()
    return updated


@conflicts_as_409
async def delete_venue(db: Database, venue_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        await store.get(uow, venue_id, for_update=True)
        if await records.exists(uow, event_queries.uses(venue_id=venue_id)):
            raise Conflict("events are held at this venue", code="venue_in_use")
        await store.delete(uow, venue_id)
        await uow.commit()
