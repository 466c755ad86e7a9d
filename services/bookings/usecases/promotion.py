"""Promotion from the waiting list, in the transaction that freed the place."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking
from services.bookings.domain.capacity import Places
from services.bookings.persistence import bookings as store
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.messages import Emitter
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)


async def promote_waiting(
    uow: UnitOfWork,
    settings: BookingsSettings,
    facts: EventFacts,
    places: Places,
    emitter: Emitter,
    *,
    now: datetime,
) -> list[Booking]:
    """Promote the first waiting people who now have a place (first come, first served among
    those whose options all have room), unless the automatic cut-off before the event has
    passed. With every option full, those who chose none may still come in."""
    cutoff = timedelta(hours=settings.promotion_cutoff_hours)
    if not facts.auto_promotion(now, cutoff) or places.remaining() <= 0:
        return []
    option_ids = places.options_with_room() if places.options else None
    waiters = await store.waiters(
        uow, facts.event_id, option_ids=option_ids, limit=places.remaining()
    )
    chosen = places.plan_promotions(waiters)
    loaded = await store.get_many(uow, [w.booking_id for w in chosen])
    promoted = [loaded[w.booking_id].promote(now=now) for w in chosen]
    await store.save_many(uow, promoted)
    for booking in promoted:
        emitter.state("promoted", booking)
        log.info("booking.promoted", booking_id=str(booking.id), event_id=str(facts.event_id))
    return promoted
