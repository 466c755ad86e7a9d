"""Changing one booking: cancel, change option or details, promote by hand. Each runs in one
short transaction under the event's row lock, and promotes whoever a freed place lets in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from services.bookings.domain import admission
from services.bookings.domain.admission import EventFacts
from services.bookings.domain.bookings import Booking, CancelledBy
from services.bookings.domain.capacity import Places
from services.bookings.persistence import bookings as store
from services.bookings.persistence import replica
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.locking import in_event_lock
from services.bookings.usecases.messages import Emitter
from services.bookings.usecases.promotion import promote_waiting
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, NotFound
from shared.logging import get_logger

log = get_logger(__name__)
_UNSET: Any = object()


@dataclass(frozen=True)
class Changes:
    """What a booker may change: the option of some groups (group id -> option id, None for
    none; the other groups keep theirs), and their details (fields left out stay). A lone
    `option_id`, as before groups, replaces the choice in that option's group."""

    option_id: uuid.UUID | None = _UNSET
    choices: dict[uuid.UUID, uuid.UUID | None] | None = None
    details: dict[str, Any] | None = None

    def picks(self, places: Places) -> dict[uuid.UUID, uuid.UUID | None]:
        picks = dict(self.choices or {})
        if self.option_id is not _UNSET:
            picks.update(admission.lone_pick(places.options, self.option_id))
        return picks


async def _event_of(db: Database, booking_id: uuid.UUID) -> uuid.UUID:
    async with db.unit_of_work() as uow:
        event_id = await store.event_of(uow, booking_id)
    if event_id is None:
        raise NotFound("no such booking", code="booking_not_found")
    return event_id


async def _locked_booking(uow: UnitOfWork, booking_id: uuid.UUID) -> Booking:
    booking = await store.get(uow, booking_id)
    if booking is None:
        raise NotFound("no such booking", code="booking_not_found")
    return booking


def _not_started(facts: EventFacts, now: datetime) -> None:
    if now >= facts.starts_at:
        raise Conflict("the event has started; contact the organisers", code="event_started")


async def cancel(
    db: Database,
    settings: BookingsSettings,
    booking_id: uuid.UUID,
    *,
    by: CancelledBy,
    reason: str = "",
) -> Booking:
    async def work(uow: UnitOfWork, facts: EventFacts, places: Places) -> Booking:
        now = datetime.now(UTC)
        booking = await _locked_booking(uow, booking_id)
        if by == "attendee":
            _not_started(facts, now)
        cancelled = booking.cancel(by=by, reason=reason, now=now)
        places.release(booking.status, booking.option_ids)
        await store.save_many(uow, [cancelled])
        emitter = Emitter(uow, settings, facts, places)
        emitter.cancelled(cancelled)
        await promote_waiting(uow, settings, facts, places, emitter, now=now)
        await replica.save_places(uow, facts.event_id, places)
        log.info("booking.cancelled", booking_id=str(booking_id), cancelled_by=by)
        return cancelled

    return await in_event_lock(db, settings, await _event_of(db, booking_id), work)


async def change(
    db: Database,
    settings: BookingsSettings,
    booking_id: uuid.UUID,
    changes: Changes,
    *,
    by: CancelledBy = "attendee",
) -> Booking:
    """Staff may change a booking after the event has started (a swap on the day); the
    booker may not."""

    async def work(uow: UnitOfWork, facts: EventFacts, places: Places) -> Booking:
        now = datetime.now(UTC)
        booking = await _locked_booking(uow, booking_id)
        if by == "attendee":
            _not_started(facts, now)
        if not booking.active:
            raise Conflict("a cancelled booking cannot be changed", code="already_cancelled")
        held = booking.option_ids
        picks = changes.picks(places)
        option_ids = admission.changed_choices(places.options, held, picks) if picks else held
        details = replace(booking.details, **(changes.details or {}))
        if option_ids == held and details == booking.details:
            return booking
        if option_ids != held:
            places.move(booking.status, held, option_ids)
        changed = booking.change(now=now, option_ids=option_ids, details=details)
        await store.save_many(uow, [changed])
        emitter = Emitter(uow, settings, facts, places)
        position = await store.waitlist_position(uow, changed)
        emitter.changed(changed, previous=held, position=position)
        promoted = await promote_waiting(uow, settings, facts, places, emitter, now=now)
        await replica.save_places(uow, facts.event_id, places)
        log.info("booking.changed", booking_id=str(booking_id))
        return next((p for p in promoted if p.id == changed.id), changed)

    return await in_event_lock(db, settings, await _event_of(db, booking_id), work)


async def promote_by_hand(
    db: Database, settings: BookingsSettings, booking_id: uuid.UUID
) -> Booking:
    """Staff promote a chosen waiting booking (after the cut-off, say) if there is room."""

    async def work(uow: UnitOfWork, facts: EventFacts, places: Places) -> Booking:
        booking = await _locked_booking(uow, booking_id)
        promoted = booking.promote(now=datetime.now(UTC))
        places.promote(booking.option_ids)
        await store.save_many(uow, [promoted])
        Emitter(uow, settings, facts, places).state("promoted", promoted)
        await replica.save_places(uow, facts.event_id, places)
        log.info("booking.promoted_by_staff", booking_id=str(booking_id))
        return promoted

    return await in_event_lock(db, settings, await _event_of(db, booking_id), work)
