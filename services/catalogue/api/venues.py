"""Staff routes for venues."""

from __future__ import annotations

import uuid

from fastapi import status

from services.catalogue.api.deps import staff_router
from services.catalogue.api.schemas.venues import VenueCreate, VenueOut, VenueUpdate
from services.catalogue.handlers import venues as handlers
from services.catalogue.persistence import venues as store
from shared.web import DbDep

router = staff_router("/venues", "venues", shared=True)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_venue(body: VenueCreate, db: DbDep) -> VenueOut:
    """Add a venue."""
    return VenueOut.of(await handlers.create_venue(db, body))


@router.get("")
async def list_venues(db: DbDep) -> list[VenueOut]:
    """Every venue, by name."""
    async with db.unit_of_work() as uow:
        return [VenueOut.of(v) for v in await store.all_venues(uow)]


@router.get("/{venue_id}")
async def get_venue(venue_id: uuid.UUID, db: DbDep) -> VenueOut:
    """One venue."""
    async with db.unit_of_work() as uow:
        return VenueOut.of(await store.get(uow, venue_id))


@router.patch("/{venue_id}")
async def update_venue(venue_id: uuid.UUID, body: VenueUpdate, db: DbDep) -> VenueOut:
    """Change a venue; its published events are sent again with the new details."""
    return VenueOut.of(await handlers.update_venue(db, venue_id, body))


@router.delete("/{venue_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_venue(venue_id: uuid.UUID, db: DbDep) -> None:
    """Delete a venue no event uses."""
    await handlers.delete_venue(db, venue_id)
