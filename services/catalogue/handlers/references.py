"""Checks that what an event refers to exists (and belongs together), naming the field."""

from __future__ import annotations

from services.catalogue.domain.events import Event
from services.catalogue.persistence import cohorts, people, programmes, venues
from shared.db import UnitOfWork
from shared.errors import Invalid


async def check_references(uow: UnitOfWork, event: Event) -> None:
    programme = None
    if event.programme_id is not None:
        found = await programmes.by_ids(uow, {event.programme_id})
        if not found:
            raise Invalid("programme_id", "no such programme")
        programme = found[event.programme_id]
    if event.venue_id is not None and not await venues.by_ids(uow, {event.venue_id}):
        raise Invalid("venue_id", "no such venue")
    known = await cohorts.by_ids(uow, set(event.audience.cohort_ids))
    for i, cohort_id in enumerate(event.audience.cohort_ids):
        cohort = known.get(cohort_id)
        if cohort is None:
            raise Invalid(f"audience.cohort_ids.{i}", "no such cohort")
        if event.programme_id is not None and cohort.programme_id != event.programme_id:
            raise Invalid(f"audience.cohort_ids.{i}", "this cohort is in another programme")
    found_people = await people.by_ids(uow, {a.person_id for a in event.people})
    for i, appearance in enumerate(event.people):
        if appearance.person_id not in found_people:
            raise Invalid(f"people.{i}.person_id", "no such person")
    codes = {e.code for e in programme.expectations} if programme else set()
    for i, code in enumerate(event.expectations):
        if code not in codes:
            raise Invalid(f"expectations.{i}", f"'{code}' is not one of the programme's")
