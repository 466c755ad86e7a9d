"""Use cases for bookings' messages: keep the booking replica, and queue the email each change
calls for (with its calendar invite), once per booking version."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifications.composing.booking_mail import BookingEmail
from services.notifications.composing.contexts import choices_text
from services.notifications.domain import emails, reminders
from services.notifications.handlers.queueing import Send, queue_booking_email
from services.notifications.persistence import bookings as booking_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence import reminders as reminder_store
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingCancelled, BookingChanged, BookingState, EventState
from shared.db import UnitOfWork
from shared.logging import current_message_id, get_logger

log = get_logger(__name__)


class EventNotKnownYet(RuntimeError):
    """The booking arrived before the event it belongs to; a retry will find the event."""


async def _apply(uow: UnitOfWork, booking: BookingState) -> EventState | None:
    """The event, if this booking version is news; None for a stale or repeated one."""
    raw_event, applied = await booking_store.apply_state_with_event(uow, booking)
    if raw_event is None:
        raise EventNotKnownYet(f"event {booking.event_id} not in the replica yet")
    if not applied:
        log.info(
            "booking.stale_ignored", booking_id=str(booking.booking_id), version=booking.version
        )
        return None
    return EventState.model_validate(raw_event)


async def _send(
    uow: UnitOfWork,
    email: BookingEmail,
    booking: BookingState,
    event: EventState,
    settings: NotificationsSettings,
    send: Send,
) -> None:
    await queue_booking_email(
        uow,
        email,
        booking=booking,
        event=event,
        settings=settings,
        send=send,
        dedupe_key=emails.dedupe_key(booking.booking_id, email.kind, booking.version),
    )


async def _schedule_reminders(
    uow: UnitOfWork, booking: BookingState, event: EventState, settings: NotificationsSettings
) -> None:
    due = reminders.due_times(event, settings.reminder_offsets, datetime.now(UTC))
    await reminder_store.schedule(uow, booking.booking_id, booking.event_id, due)


async def confirmed(
    booking: BookingState, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    if event := await _apply(uow, booking):
        await _schedule_reminders(uow, booking, event, settings)
        email = BookingEmail("confirmation", calendar_method="REQUEST")
        await _send(uow, email, booking, event, settings, send)


async def waitlisted(
    booking: BookingState, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    if event := await _apply(uow, booking):
        await _send(uow, BookingEmail("waitlisted"), booking, event, settings, send)


async def promoted(
    booking: BookingState, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    if event := await _apply(uow, booking):
        await _schedule_reminders(uow, booking, event, settings)
        email = BookingEmail("promoted", calendar_method="REQUEST")
        await _send(uow, email, booking, event, settings, send)


async def changed(
    booking: BookingChanged, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    if event := await _apply(uow, booking):
        email = BookingEmail(
            "changed",
            calendar_method="REQUEST" if booking.status == "confirmed" else None,
            extra={
                "booking": {
                    "previous_option_name": choices_text(
                        booking.previous_choices, booking.previous_option_name
                    )
                }
            },
        )
        await _send(uow, email, booking, event, settings, send)


async def cancelled(
    booking: BookingCancelled, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    """Says who cancelled (the person, staff, or the event's cancellation) and why; removes
    the calendar entry if the person had one; no reminder will follow."""
    event = await _apply(uow, booking)
    if event is None:
        return
    await reminder_store.cancel_for_booking(uow, booking.booking_id)
    reason = booking.reason
    if not reason and booking.cancelled_by == "event":
        reason = str((await event_store.get_raw(uow, booking.event_id) or {}).get("reason", ""))
    email = BookingEmail(
        "cancelled",
        subject_kind="event_cancelled" if booking.cancelled_by == "event" else "cancelled",
        calendar_method=None if booking.was_status == "waitlisted" else "CANCEL",
        extra={
            "cancelled_by": booking.cancelled_by,
            "was_status": booking.was_status or "confirmed",
            "reason": reason,
        },
    )
    await _send(uow, email, booking, event, settings, send)


async def resynced(
    booking: BookingState, uow: UnitOfWork, *, settings: NotificationsSettings
) -> None:
    """Bookings republished its current state (`python -m services.bookings.resync`, e.g.
    after this service was restored from a backup): the replica and the reminders catch up,
    and no email goes out, since the booker was told when the change happened."""
    if event := await _apply(uow, booking):
        if booking.status == "confirmed":
            await _schedule_reminders(uow, booking, event, settings)
        else:
            await reminder_store.cancel_for_booking(uow, booking.booking_id)


async def manage_link_requested(
    booking: BookingState, uow: UnitOfWork, *, settings: NotificationsSettings, send: Send
) -> None:
    """Someone tried to book again with this address: send the existing booking's manage link
    (bookings sends this message at most once per quarter hour per booking). The booking did
    not change, so this is keyed by the message, not by the booking's version."""
    event = await event_store.get(uow, booking.event_id)
    if event is None:
        raise EventNotKnownYet(f"event {booking.event_id} not in the replica yet")
    await queue_booking_email(
        uow,
        BookingEmail("manage_link"),
        booking=booking,
        event=event,
        settings=settings,
        send=send,
        dedupe_key=f"booking:{booking.booking_id}:manage_link:{current_message_id()}",
    )
