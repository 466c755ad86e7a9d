"""Use cases for the messages bookings consumes: the catalogue's events and cohort rosters.

Each runs inside the consumer's transaction (with its inbox claim); a stale or repeated state
changes nothing (the version guard), and a redelivered message nothing at all (the inbox).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.bookings.domain.bookings import Booking
from services.bookings.persistence import bookings as store
from services.bookings.persistence import invitations, replica, roster
from services.bookings.settings import BookingsSettings
from services.bookings.usecases.messages import Emitter
from services.bookings.usecases.promotion import promote_waiting
from shared.contracts import CampaignProgress, CohortMemberAdded, CohortMemberRemoved, EventState
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)


async def apply_event_state(state: EventState, uow: UnitOfWork, settings: BookingsSettings) -> None:
    """A newer state of an event: a cancellation cancels every active booking (each told
    through its own message); more places promote waiting people; fewer bump nobody."""
    if not await replica.apply_state(uow, state):
        log.info("event.stale_state_ignored", event_id=str(state.event_id), version=state.version)
        return
    facts, places = await replica.load(uow, state.event_id, lock=True)
    emitter = Emitter(uow, settings, facts, places)
    now = datetime.now(UTC)
    if state.status == "cancelled":
        reason = getattr(state, "reason", "") or "the event was cancelled"
        cancelled = await _cancel_all(uow, state, reason, now)
        for booking in cancelled:
            places.release(booking.was_status or "", booking.option_ids)
            emitter.cancelled(booking)
        log.info("event.cancelled_bookings", event_id=str(state.event_id), count=len(cancelled))
    else:
        await promote_waiting(uow, settings, facts, places, emitter, now=now)
    await replica.save_places(uow, state.event_id, places)


async def _cancel_all(
    uow: UnitOfWork, state: EventState, reason: str, now: datetime
) -> list[Booking]:
    active = await store.active_of_event(uow, state.event_id)
    cancelled = [b.cancel(by="event", reason=reason, now=now) for b in active]
    await store.save_many(uow, cancelled)
    return cancelled


async def apply_member_added(member: CohortMemberAdded, uow: UnitOfWork) -> None:
    await roster.apply_added(uow, member)


async def apply_member_removed(member: CohortMemberRemoved, uow: UnitOfWork) -> None:
    await roster.apply_removed(uow, member)


async def apply_campaign_progress(progress: CampaignProgress, uow: UnitOfWork) -> None:
    """Only a cancellation matters here: from then on the campaign's links admit nobody."""
    if progress.status == "cancelled":
        await invitations.mark_cancelled(uow, progress.campaign_id, progress.event_id)
