"""The reminder pass of the scheduler: due reminders are claimed (SKIP LOCKED), checked
against the replicas, and queued, dropped as late, or cancelled, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.notifications.composing.booking_mail import BookingEmail
from services.notifications.domain import emails, reminders
from services.notifications.domain.reminders import Reminder
from services.notifications.handlers.queueing import Send, queue_booking_email
from services.notifications.persistence import bookings as booking_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence import reminders as reminder_store
from services.notifications.settings import NotificationsSettings
from shared.contracts import EventState
from shared.db import Database, UnitOfWork
from shared.logging import get_logger, log_context, new_correlation_id

log = get_logger(__name__)


async def _handle(
    uow: UnitOfWork,
    reminder: Reminder,
    now: datetime,
    settings: NotificationsSettings,
    send: Send,
) -> str:
    booking = await booking_store.get(uow, reminder.booking_id)
    event = await event_store.get(uow, reminder.event_id)
    decision = reminders.decide(
        due_at=reminder.due_at,
        now=now,
        grace=settings.reminder_grace,
        booking_status=booking.status if booking else None,
        event_status=event.status if event else None,
        event_start=reminders.session_start(event, reminder.session_id) if event else None,
    )
    fields = {"booking_id": str(reminder.booking_id), "event_id": str(reminder.event_id)}
    if decision == "late":
        await reminder_store.settle(
            uow, reminder.id, "dropped", f"found {now - reminder.due_at} late"
        )
        log.warning("reminder.dropped_late", due_at=reminder.due_at.isoformat(), **fields)
    elif decision == "not_wanted":
        await reminder_store.settle(uow, reminder.id, "cancelled", "booking or event not active")
        log.info("reminder.not_wanted", **fields)
    else:
        assert booking is not None and event is not None
        offset = timedelta(seconds=reminder.offset_seconds)
        session = _session(event, reminder)
        email = BookingEmail(
            "reminder",
            relative=emails.relative_time(offset),
            extra={"session": session} if session else {},
        )
        await queue_booking_email(
            uow,
            email,
            booking=booking,
            event=event,
            settings=settings,
            send=send,
            dedupe_key=emails.reminder_key(
                booking.booking_id, offset, None if session is None else reminder.session_id
            ),
        )
        await reminder_store.settle(uow, reminder.id, "queued", "")
    return decision


def _session(event: EventState, reminder: Reminder) -> dict[str, str] | None:
    """Which session a reminder is for, when the event has more than one to tell apart."""
    if len(event.sessions) < 2:
        return None
    found = next(s for s in event.sessions if s.session_id == reminder.session_id)
    when = emails.format_when(found.starts_at, found.ends_at, event.timezone)
    return {"title": found.title or event.title, "when": when}


async def send_due(db: Database, settings: NotificationsSettings, *, send: Send) -> int:
    """One pass; returns how many reminders it settled (the caller calls `send.committed()`)."""
    async with db.unit_of_work() as uow:
        now = datetime.now(UTC)
        due = await reminder_store.claim_due(uow, now)
        for reminder in due:
            # Each reminder starts its own trail in the logs, as a request would.
            with log_context(correlation_id=new_correlation_id(), message_id=None):
                await _handle(uow, reminder, now, settings, send)
        await uow.commit()
    return len(due)
