"""The records events refer to (programme, venue, people), loaded once for many events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.catalogue.domain.event_state import EventContext
from services.catalogue.domain.events import Event
from services.catalogue.persistence import people, programmes, venues
from shared.db import UnitOfWork


async def contexts(uow: UnitOfWork, events: Sequence[Event]) -> dict[uuid.UUID, EventContext]:
    programme_of = await programmes.by_ids(uow, {e.programme_id for e in events if e.programme_id})
    venue_of = await venues.by_ids(uow, {e.venue_id for e in events if e.venue_id})
    person_of = await people.by_ids(uow, {a.person_id for e in events for a in e.people})
    return {
        e.id: EventContext(
            programme=programme_of.get(e.programme_id) if e.programme_id else None,
            venue=venue_of.get(e.venue_id) if e.venue_id else None,
            people={a.person_id: person_of[a.person_id] for a in e.people},
        )
        for e in events
    }


async def context(uow: UnitOfWork, event: Event) -> EventContext:
    return (await contexts(uow, [event]))[event.id]
