"""Venues in a unit of work."""

from __future__ import annotations

import uuid

from services.catalogue.domain.venues import Venue
from services.catalogue.persistence import records
from services.catalogue.persistence.tables import venues
from shared.db import UnitOfWork


async def get(uow: UnitOfWork, venue_id: uuid.UUID, *, for_update: bool = False) -> Venue:
    return await records.get(uow, venues, Venue, venue_id, for_update=for_update)


async def by_ids(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, Venue]:
    return await records.by_ids(uow, venues, Venue, ids)


async def all_venues(uow: UnitOfWork) -> list[Venue]:
    return await records.all_of(uow, venues, Venue, venues.c.name)


async def add(uow: UnitOfWork, venue: Venue) -> None:
    await records.insert(uow, venues, venue)


async def save(uow: UnitOfWork, venue: Venue) -> None:
    await records.update(uow, venues, venue)


async def delete(uow: UnitOfWork, venue_id: uuid.UUID) -> None:
    await records.delete(uow, venues, venue_id)
