"""Republishing the catalogue's current state (see `shared/resync.py`): every published or
cancelled event at its current version, and every cohort's current members at the roster's
current version."""

from __future__ import annotations

from services.catalogue.domain import cohorts as cohort_rules
from services.catalogue.domain.event_state import to_state
from services.catalogue.persistence import cohorts as cohort_store
from services.catalogue.persistence import event_queries
from services.catalogue.persistence.context import contexts
from shared.db import Database


async def resync_events(db: Database, page: int) -> int:
    count, after = 0, None
    while True:
        async with db.unit_of_work() as uow:
            found = await event_queries.not_draft_after(uow, after, page)
            if not found:
                return count
            context_of = await contexts(uow, found)
            for event in found:
                uow.emit("catalogue.event.resynced", to_state(event, context_of[event.id]))
            await uow.commit()
        count += len(found)
        after = found[-1].id


async def resync_rosters(db: Database) -> int:
    """Members removed since a replica's backup are not named here (the catalogue keeps no
    trace of them); a roster is small, so one transaction per cohort."""
    async with db.unit_of_work() as uow:
        cohorts = await cohort_store.list_cohorts(uow)
    count = 0
    for cohort in cohorts:
        async with db.unit_of_work() as uow:
            members = await cohort_store.members(uow, cohort.id)
            for member in members:
                message = cohort_rules.added_message(cohort, member, max(cohort.roster_version, 1))
                uow.emit("catalogue.cohort.member_added", message)
            await uow.commit()
        count += len(members)
    return count


async def resync(db: Database, page: int) -> int:
    return await resync_events(db, page) + await resync_rosters(db)
