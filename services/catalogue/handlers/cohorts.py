"""Cohort use cases (the cohort itself; its roster is in `roster`)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from services.catalogue.api.schemas.cohorts import CohortCreate, CohortUpdate
from services.catalogue.domain import cohorts as rules
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.persistence import cohorts as store
from services.catalogue.persistence import event_queries, programmes, records
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, Invalid
from shared.staff_actions import describe_staff_action


@conflicts_as_409
async def create_cohort(db: Database, data: CohortCreate) -> rules.Cohort:
    rules.check_dates(data.starts_on, data.ends_on)
    cohort = rules.Cohort(
        id=uuid.uuid4(),
        programme_id=data.programme_id,
        number=data.number,
        name=data.name or f"Cohort {data.number}",
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    async with db.unit_of_work() as uow:
        if not await programmes.by_ids(uow, {data.programme_id}):
            raise Invalid("programme_id", "no such programme")
        await _check_number_free(uow, cohort)
        describe_staff_action(target_id=cohort.id, programme_id=cohort.programme_id)
        await store.add(uow, cohort)
        await uow.commit()
    return cohort


@conflicts_as_409
async def update_cohort(db: Database, cohort_id: uuid.UUID, data: CohortUpdate) -> rules.Cohort:
    async with db.unit_of_work() as uow:
        current = await store.get(uow, cohort_id, for_update=True)
        cohort = replace(current, **data.changes())
        rules.check_dates(cohort.starts_on, cohort.ends_on)
        if cohort != current:
            if cohort.number != current.number:
                await _check_number_free(uow, cohort)
            await store.save(uow, cohort)
            await uow.commit()
    return cohort


@conflicts_as_409
async def delete_cohort(db: Database, cohort_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        await store.get(uow, cohort_id, for_update=True)
        if await store.member_count(uow, cohort_id):
            raise Conflict("remove the cohort's members first", code="cohort_has_members")
        if await records.exists(uow, event_queries.uses(cohort_id=cohort_id)):
            raise Conflict("events are open to this cohort", code="cohort_in_use")
        await store.delete(uow, cohort_id)
        await uow.commit()


async def _check_number_free(uow: UnitOfWork, cohort: rules.Cohort) -> None:
    if await store.number_taken(uow, cohort.programme_id, cohort.number, other_than=cohort.id):
        raise Conflict(
            f"the programme already has a cohort {cohort.number}", code="cohort_number_taken"
        )
