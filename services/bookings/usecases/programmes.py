"""A programme's public page and its events' pages: one short read each, over the replica."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.bookings.domain.capacity import Places
from services.bookings.persistence import programmes as store
from services.bookings.persistence import replica
from services.bookings.persistence.programmes import ProgrammeRef
from shared.db import Database
from shared.errors import NotFound

# A programme runs a few dozen events a year; the page shows the next ones, not an archive.
UPCOMING_LIMIT = 50


@dataclass(frozen=True)
class ProgrammeEvents:
    programme: ProgrammeRef
    events: list[tuple[dict[str, Any], Places]]


async def upcoming(db: Database, ref: str) -> ProgrammeEvents:
    async with db.unit_of_work() as uow:
        programme = await store.find(uow, ref)
        if programme is None:
            raise NotFound("no such programme", code="programme_not_found")
        ids = await store.upcoming(uow, programme.programme_id, datetime.now(UTC), UPCOMING_LIMIT)
        events = [await replica.public_state(uow, event_id) for event_id in ids]
    return ProgrammeEvents(programme, events)


async def one_event(
    db: Database, ref: str, slug: str
) -> tuple[ProgrammeRef, dict[str, Any], Places]:
    async with db.unit_of_work() as uow:
        programme = await store.find(uow, ref)
        event_id: uuid.UUID | None = None
        if programme is not None:
            event_id = await store.event_by_slug(uow, programme.programme_id, slug)
        if programme is None or event_id is None:
            raise NotFound("no such event in this programme", code="event_not_found")
        state, places = await replica.public_state(uow, event_id)
    return programme, state, places
