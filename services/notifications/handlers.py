"""Use cases: one small function per consumed message."""

from __future__ import annotations

import aiosmtplib

from services.notifications.domain import emails
from services.notifications.mailer import Mailer, build_message
from services.notifications.persistence import deliveries
from services.notifications.persistence import events as event_store
from services.notifications.rendering import render
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingState, DeliveryQueued, EmailOutcome, EventState
from shared.db import Database, UnitOfWork
from shared.logging import current_correlation_id, get_logger, mask_email

log = get_logger(__name__)


class EventNotKnownYet(RuntimeError):
    """The booking arrived before the event it belongs to; a retry will find the event."""


async def apply_event_state(state: EventState, uow: UnitOfWork) -> None:
    await event_store.apply_state(uow, state)


def event_context(event: EventState) -> dict[str, object]:
    return {
        "title": event.title,
        "when": emails.format_when(event.starts_at, event.ends_at, event.timezone),
        "venue": event.venue.model_dump() if event.venue else None,
    }


async def queue_booking_email(
    booking: BookingState, uow: UnitOfWork, *, kind: str, settings: NotificationsSettings
) -> None:
    """Render the email a booking change calls for and queue it once (dedupe key)."""
    event = await event_store.get(uow, booking.event_id)
    if event is None:
        raise EventNotKnownYet(f"event {booking.event_id} not in the replica yet")
    subject = emails.subject(kind, title=event.title)
    content = render(
        kind,
        subject=subject,
        programme_name=settings.programme_name,
        booking={
            "name": booking.attendee.name,
            "manage_url": booking.manage_url,
            "waitlist_position": booking.waitlist_position,
        },
        event=event_context(event),
    )
    delivery_id = await deliveries.queue(
        uow,
        dedupe_key=emails.dedupe_key(booking.booking_id, kind, booking.version),
        kind=kind,
        booking_id=booking.booking_id,
        event_id=booking.event_id,
        recipient=booking.attendee.email,
        subject=content.subject,
        body_text=content.text,
        body_html=content.html,
        correlation_id=current_correlation_id(),
    )
    if delivery_id is not None:
        uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=delivery_id))
        log.info(
            "email.queued",
            kind=kind,
            booking_id=str(booking.booking_id),
            delivery_id=str(delivery_id),
            recipient=mask_email(booking.attendee.email),
        )


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer for the recipient will not change on a retry."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= e.code < 600 for e in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600


async def send_delivery(
    payload: DeliveryQueued, *, db: Database, mailer: Mailer, settings: NotificationsSettings
) -> None:
    """Send one queued email. Sent ones are skipped, so a repeated work item sends nothing."""
    delivery_id = payload.delivery_id
    async with db.unit_of_work() as uow:
        delivery = await deliveries.lock(uow, delivery_id)
        if delivery is None or delivery.state in ("sent", "parked"):
            return
        message = build_message(
            delivery_id=delivery.id,
            mail_from=settings.mail_from,
            recipient=delivery.recipient,
            recipient_name=None,
            subject=delivery.subject,
            text=delivery.body_text,
            html=delivery.body_html,
            correlation_id=delivery.correlation_id,
        )
        try:
            answer = await mailer.send(message)
        except Exception as exc:
            await uow.session.rollback()
            await _record_failure(db, delivery, exc)
            if _is_permanent(exc):
                return
            raise
        await deliveries.mark_sent(uow, delivery_id, answer)
        uow.emit(
            "notifications.email.sent",
            _outcome(delivery, attempts=delivery.attempts + 1, smtp_answer=answer),
        )
        await uow.commit()
    log.info(
        "email.sent",
        kind=delivery.kind,
        delivery_id=str(delivery_id),
        booking_id=str(delivery.booking_id),
        recipient=mask_email(delivery.recipient),
    )


async def _record_failure(db: Database, delivery: deliveries.Delivery, exc: Exception) -> None:
    permanent = _is_permanent(exc)
    error = f"{type(exc).__name__}: {exc}"
    async with db.unit_of_work() as uow:
        await deliveries.mark_failed(
            uow, delivery.id, error, state="parked" if permanent else "failed"
        )
        if permanent:
            uow.emit(
                "notifications.email.failed",
                _outcome(delivery, attempts=delivery.attempts + 1, error=error),
            )
        await uow.commit()
    log.warning(
        "email.failed",
        kind=delivery.kind,
        delivery_id=str(delivery.id),
        permanent=permanent,
        error=error[:300],
    )


def _outcome(
    delivery: deliveries.Delivery,
    *,
    attempts: int,
    smtp_answer: str | None = None,
    error: str | None = None,
) -> EmailOutcome:
    return EmailOutcome(
        delivery_id=delivery.id,
        kind=delivery.kind,
        recipient_masked=mask_email(delivery.recipient) or "",
        booking_id=delivery.booking_id,
        event_id=delivery.event_id,
        attempts=attempts,
        smtp_message_id=smtp_answer,
        error=error,
    )
