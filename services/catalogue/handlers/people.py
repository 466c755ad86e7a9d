"""Use cases for people who facilitate or speak; published events list them by name."""

from __future__ import annotations

import uuid
from dataclasses import replace

from services.catalogue.api.schemas.people import PersonCreate, PersonUpdate
from services.catalogue.domain.people import Person
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.handlers.publishing import republish_using
from services.catalogue.persistence import event_queries, records
from services.catalogue.persistence import people as store
from shared.db import Database
from shared.errors import Conflict
from shared.staff_actions import describe_staff_action


async def create_person(db: Database, data: PersonCreate) -> Person:
    person = Person(id=uuid.uuid4(), **data.model_dump())
    describe_staff_action(target_id=person.id)
    async with db.unit_of_work() as uow:
        await store.add(uow, person)
        await uow.commit()
    return person


async def update_person(db: Database, person_id: uuid.UUID, data: PersonUpdate) -> Person:
    async with db.unit_of_work() as uow:
        person = await store.get(uow, person_id, for_update=True)
        updated = replace(person, **data.changes())
        if updated != person:
            await store.save(uow, updated)
            await republish_using(uow, person_id=person_id)
            await uow.commit()
    return updated


@conflicts_as_409
async def delete_person(db: Database, person_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        await store.get(uow, person_id, for_update=True)
        if await records.exists(uow, event_queries.uses(person_id=person_id)):
            raise Conflict("this person is on events: take them off first", code="person_in_use")
        await store.delete(uow, person_id)
        await uow.commit()
