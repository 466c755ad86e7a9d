"""Republishing every booking at its current version (see `shared/resync.py`), as
`bookings.booking.resynced`, with the same payload its last change carried."""

from __future__ import annotations

import uuid

from services.bookings.domain import bookings as rules
from services.bookings.domain.admission import EventFacts
from services.bookings.domain.capacity import Places
from services.bookings.persistence import bookings as store
from services.bookings.persistence import replica
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.messages import Emitter
from shared.db import Database, UnitOfWork
from shared.errors import NotFound
from shared.logging import get_logger

log = get_logger(__name__)


async def _event(
    uow: UnitOfWork, cache: dict[uuid.UUID, tuple[EventFacts, Places] | None], event_id: uuid.UUID
) -> tuple[EventFacts, Places] | None:
    if event_id not in cache:
        try:
            cache[event_id] = await replica.load(uow, event_id)
        except NotFound:
            cache[event_id] = None
    return cache[event_id]


async def resync(db: Database, page: int, *, settings: BookingsSettings) -> int:
    count, after = 0, None
    while True:
        async with db.unit_of_work() as uow:
            found = await store.page_after(uow, after, page)
            if not found:
                return count
            events: dict[uuid.UUID, tuple[EventFacts, Places] | None] = {}
            for booking in found:
                event = await _event(uow, events, booking.event_id)
                if event is None:
                    log.warning("resync.event_missing", booking_id=str(booking.id))
                    continue
                emitter = Emitter(uow, settings, *event)
                position = await store.waitlist_position(uow, booking)
                uow.emit(
                    "bookings.booking.resynced",
                    rules.to_state(booking, emitter.context(booking, position)),
                )
                count += 1
            await uow.commit()
        after = found[-1].id
