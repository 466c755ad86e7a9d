"""Use cases for the catalogue's messages: the event and roster replicas, and telling every
confirmed and waiting person when an event's time, sessions or venue change."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifications.composing.booking_mail import BookingEmail
from services.notifications.domain import emails, reminders
from services.notifications.domain.changes import what_changed
from services.notifications.handlers.queueing import Send, queue_booking_email
from services.notifications.persistence import bookings as booking_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence import reminders as reminder_store
from services.notifications.persistence import rosters
from services.notifications.settings import NotificationsSettings
from shared.contracts import (
    CohortMemberAdded,
    CohortMemberRemoved,
    EventCancelled,
    EventState,
)
from shared.db import UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)


async def event_published(state: EventState, uow: UnitOfWork) -> None:
    await event_store.apply_state(uow, state)


async def event_updated(
    state: EventState, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    """New time, sessions or venue: reminders move with their sessions, every confirmed person
    gets the new details with an updated invite (a higher SEQUENCE), and everyone waiting
    gets them too, without an invite (once per event version)."""
    before = await event_store.get(uow, state.event_id, for_update=True)
    if not await event_store.apply_state(uow, state) or before is None:
        return
    changes = what_changed(before, state)
    if not changes:
        return
    if "the time" in changes:
        await reminder_store.reschedule_event(uow, state)
    if state.status != "published":
        return
    confirmed = await booking_store.confirmed_for_event(uow, state.event_id)
    if "the time" in changes:
        now = datetime.now(UTC)
        for booking in confirmed:  # a new session gets its reminders; the rest exist already
            due = reminders.due_times(state, settings.reminder_offsets, now)
            await reminder_store.schedule(uow, booking.booking_id, state.event_id, due)
    waiting = await booking_store.waiting_for_event(uow, state.event_id)
    told = BookingEmail("event_changed", calendar_method="REQUEST", extra={"changes": changes})
    waiting_told = BookingEmail("event_changed", extra={"changes": changes, "waiting": True})
    for email, people in ((told, confirmed), (waiting_told, waiting)):
        for booking in people:
            await queue_booking_email(
                uow,
                email,
                booking=booking,
                event=state,
                settings=settings,
                send=send,
                dedupe_key=emails.event_change_key(booking.booking_id, state.version),
            )
    log.info(
        "event.change_told",
        event_id=str(state.event_id),
        changes=changes,
        people=len(confirmed),
        waiting=len(waiting),
    )


async def event_cancelled(state: EventCancelled, uow: UnitOfWork) -> None:
    """No reminder for a cancelled event. The cancellation emails themselves follow from
    bookings' `booking.cancelled` (cancelled_by=event), one per booking it cancels."""
    if await event_store.apply_state(uow, state):
        await reminder_store.cancel_for_event(uow, state.event_id)


async def member_added(change: CohortMemberAdded, uow: UnitOfWork) -> None:
    await rosters.member_added(uow, change)


async def member_removed(change: CohortMemberRemoved, uow: UnitOfWork) -> None:
    await rosters.member_removed(uow, change)
