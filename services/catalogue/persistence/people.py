"""People who facilitate or speak, in a unit of work."""

from __future__ import annotations

import uuid

from services.catalogue.domain.people import Person
from services.catalogue.persistence import records
from services.catalogue.persistence.tables import people
from shared.db import UnitOfWork


async def get(uow: UnitOfWork, person_id: uuid.UUID, *, for_update: bool = False) -> Person:
    return await records.get(uow, people, Person, person_id, for_update=for_update)


async def by_ids(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, Person]:
    return await records.by_ids(uow, people, Person, ids)


async def all_people(uow: UnitOfWork) -> list[Person]:
    return await records.all_of(uow, people, Person, people.c.name)


async def add(uow: UnitOfWork, person: Person) -> None:
    await records.insert(uow, people, person)


async def save(uow: UnitOfWork, person: Person) -> None:
    await records.update(uow, people, person)


async def delete(uow: UnitOfWork, person_id: uuid.UUID) -> None:
    await records.delete(uow, people, person_id)
