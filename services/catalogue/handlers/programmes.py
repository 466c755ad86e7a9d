"""Programme use cases. Its name and expectations appear in its published events' state."""

from __future__ import annotations

import uuid
from dataclasses import replace

from services.catalogue.api.schemas.programmes import ProgrammeCreate, ProgrammeUpdate
from services.catalogue.domain import programmes as rules
from services.catalogue.domain.slugs import slugify
from services.catalogue.handlers.integrity import conflicts_as_409
from services.catalogue.handlers.publishing import republish_using
from services.catalogue.persistence import cohorts, event_queries, records
from services.catalogue.persistence import programmes as store
from shared.db import Database
from shared.errors import Conflict
from shared.staff_actions import describe_staff_action


@conflicts_as_409
async def create_programme(db: Database, data: ProgrammeCreate) -> rules.Programme:
    programme = rules.Programme(
        id=uuid.uuid4(),
        slug=data.slug or slugify(data.name, fallback="programme"),
        name=data.name,
        description=data.description,
        expectations=tuple(e.to_domain() for e in data.expectations),
        privacy_notice_url=data.privacy_notice_url,
        privacy_notice_version=data.privacy_notice_version,
    )
    rules.check_expectations(programme.expectations)
    describe_staff_action(target_id=programme.id, programme_id=programme.id)
    async with db.unit_of_work() as uow:
        if await store.slug_taken(uow, programme.slug):
            raise Conflict("a programme already uses this slug", code="slug_taken")
        await store.add(uow, programme)
        await uow.commit()
    return programme


@conflicts_as_409
async def update_programme(
    db: Database, programme_id: uuid.UUID, data: ProgrammeUpdate
) -> rules.Programme:
    changes = data.changes()
    if "expectations" in changes:
        changes["expectations"] = tuple(e.to_domain() for e in data.expectations or [])
        rules.check_expectations(changes["expectations"])
    async with db.unit_of_work() as uow:
        current = await store.get(uow, programme_id, for_update=True)
        programme = replace(current, **changes)
        if programme == current:
            return current
        rules.check_removal(current, programme, await store.codes_in_use(uow, programme_id))
        if await store.slug_taken(uow, programme.slug, other_than=programme_id):
            raise Conflict("a programme already uses this slug", code="slug_taken")
        await store.save(uow, programme)
        # What a published event shows of its programme: a change is a new version of each.
        shown = ("slug", "name", "expectations", "privacy_notice_url", "privacy_notice_version")
        if any(getattr(programme, f) != getattr(current, f) for f in shown):
            await republish_using(uow, programme_id=programme_id)
        await uow.commit()
    return programme


@conflicts_as_409
async def delete_programme(db: Database, programme_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        await store.get(uow, programme_id, for_update=True)
        if await cohorts.list_cohorts(uow, programme_id) or await records.exists(
            uow, event_queries.uses(programme_id=programme_id)
        ):
            raise Conflict("this programme has cohorts or events", code="programme_in_use")
        await store.delete(uow, programme_id)
        await uow.commit()
