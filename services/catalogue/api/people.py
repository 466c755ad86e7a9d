"""Staff routes for people who facilitate or speak."""

from __future__ import annotations

import uuid

from fastapi import status

from services.catalogue.api.deps import staff_router
from services.catalogue.api.schemas.people import PersonCreate, PersonOut, PersonUpdate
from services.catalogue.handlers import people as handlers
from services.catalogue.persistence import people as store
from shared.web import DbDep

router = staff_router("/people", "people", shared=True)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_person(body: PersonCreate, db: DbDep) -> PersonOut:
    """Add a person."""
    return PersonOut.of(await handlers.create_person(db, body))


@router.get("")
async def list_people(db: DbDep) -> list[PersonOut]:
    """Everyone, by name."""
    async with db.unit_of_work() as uow:
        return [PersonOut.of(p) for p in await store.all_people(uow)]


@router.get("/{person_id}")
async def get_person(person_id: uuid.UUID, db: DbDep) -> PersonOut:
    """One person."""
    async with db.unit_of_work() as uow:
        return PersonOut.of(await store.get(uow, person_id))


@router.patch("/{person_id}")
async def update_person(person_id: uuid.UUID, body: PersonUpdate, db: DbDep) -> PersonOut:
    """Change a person; the published events they are on are sent again."""
    return PersonOut.of(await handlers.update_person(db, person_id, body))


@router.delete("/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_person(person_id: uuid.UUID, db: DbDep) -> None:
    """Delete a person who is on no event."""
    await handlers.delete_person(db, person_id)
