"""A confirmation (or a promotion) on the hot path: the event read, the email composed, then
one statement claims the message, applies the booking, schedules its reminders and writes
the delivery row (persistence/hotpath.CONFIRM_SQL), and the email is sent after it.

Through the unit of work the same use case (handlers/booking_emails.confirmed) took six
round trips to the database, each costing more CPU than composing the email; here it takes
one, and the message is acked after the statement committed, as before; the row is written
already claimed by this process, so the sender starts on it without a claim of its own.
The event's state is kept from one message to the next (a rush books one event): the
statement claims nothing unless the replica still holds that version, and the email is then
composed again from the state read afresh, so it never says less than the replica knew at
its commit. The effect is the
same, step for step: nothing for a repeated message, no email for a stale version, an
unknown event fails the message (its retry finds the event), the recipient's hourly cap and
the dedupe key as in `queue_email`. Anything else (an erased person's message) goes to the
unit-of-work handler, which knows the other cases.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.notifications.composing.booking_mail import BookingEmail, compose_booking_email
from services.notifications.domain import emails, reminders
from services.notifications.domain.deliveries import Claimed, State
from services.notifications.handlers.booking_emails import EventNotKnownYet
from services.notifications.handlers.queueing import settle_queued
from services.notifications.persistence.hotpath import Confirmed, HotPath
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingState, Envelope, EventState, parse_payload
from shared.logging import current_correlation_id, get_logger
from shared.messaging.consumer import Handler
from shared.privacy.hashing import is_erased_address

log = get_logger(__name__)

# Reads of the event after the one the email was first composed from: more, and the message
# fails (to be retried), since the event changes faster than an email can be composed.
_EVENT_READS = 3


class EventKeptChanging(RuntimeError):
    """The event changed between every read and the statement; a retry will catch up."""


@dataclass(frozen=True)
class _Delivery:
    """The composed email's row as `Claimed` has it, and the claim it is written under."""

    fields: dict[str, Any]
    claim_token: uuid.UUID
    claimed_at: float


def hot_confirmation(
    kind: str,
    *,
    consumer: str,
    hot: HotPath,
    sender: Sender,
    settings: NotificationsSettings,
    otherwise: Handler,
) -> Handler:
    """The handler for `bookings.booking.confirmed` (kind "confirmation") or `.promoted`
    ("promoted"); `otherwise` is the unit-of-work handler of the same message type."""
    email = BookingEmail(kind, calendar_method="REQUEST")
    # The last state read of each event (bounded: a process sees few events at once).
    events: dict[uuid.UUID, EventState] = {}

    async def event_of(event_id: uuid.UUID) -> EventState:
        raw_event = await hot.event_state(event_id)
        if raw_event is None:
            raise EventNotKnownYet(f"event {event_id} not in the replica yet")
        if len(events) >= 256:
            events.clear()
        event = events[event_id] = EventState.model_validate_json(raw_event)
        return event

    async def handle(envelope: Envelope) -> None:
        booking = parse_payload(envelope)
        assert isinstance(booking, BookingState)
        if is_erased_address(booking.attendee.email):
            await otherwise(envelope)
            return
        dedupe_key = emails.dedupe_key(booking.booking_id, email.kind, booking.version)
        event = events.get(booking.event_id) or await event_of(booking.event_id)
        for _ in range(_EVENT_READS):
            done, delivery = await _confirm(event, booking, dedupe_key, envelope)
            if done.event_current:
                break
            event = await event_of(booking.event_id)
        else:
            raise EventKeptChanging(f"event {booking.event_id} changed under {_EVENT_READS} reads")
        if not done.claimed:
            log.info("message.duplicate_ignored", consumer=consumer)
            return
        if not done.applied:
            log.info(
                "booking.stale_ignored",
                booking_id=str(booking.booking_id),
                version=booking.version,
            )
            return
        delivery_id = settle_queued(
            done.queued,
            kind=email.kind,
            dedupe_key=dedupe_key,
            recipient=booking.attendee.email,
            hourly_cap=settings.recipient_hourly_cap,
            booking_id=booking.booking_id,
            event_id=booking.event_id,
        )
        if delivery_id is not None and done.queued is not None:
            assert done.queued[1] is State.SENDING and done.created_at is not None
            sender.send_claimed_soon(
                Claimed(
                    **delivery.fields,
                    booking_id=booking.booking_id,
                    event_id=booking.event_id,
                    campaign_id=None,
                    attempts=1,
                    created_at=done.created_at,
                    claim_token=delivery.claim_token,
                ),
                claimed_at=delivery.claimed_at,
            )

    async def _confirm(
        event: EventState, booking: BookingState, dedupe_key: str, envelope: Envelope
    ) -> tuple[Confirmed, _Delivery]:
        due = reminders.due_times(event, settings.reminder_offsets, datetime.now(UTC))
        composed = compose_booking_email(
            email,
            booking=booking,
            event=event,
            settings=settings,
            correlation_id=current_correlation_id(),
        )
        delivery = _Delivery(
            {
                "id": composed.delivery_id,
                "kind": email.kind,
                "recipient": booking.attendee.email,
                "recipient_name": booking.attendee.name,
                "subject": composed.subject,
                "message": composed.message,
                "message_id": composed.message_id,
                "correlation_id": current_correlation_id(),
            },
            claim_token=uuid.uuid4(),
            # Before the statement, so this sender's clock runs out before the lease does.
            claimed_at=time.monotonic(),
        )
        done = await hot.confirm(
            consumer=consumer,
            message_id=envelope.message_id,
            booking=booking,
            event_version=event.version,
            due=due,
            delivery={**delivery.fields, "dedupe_key": dedupe_key},
            hourly_cap=settings.recipient_hourly_cap,
            claim_token=delivery.claim_token,
            lease=settings.claim_lease,
        )
        return done, delivery

    handle.__name__ = f"hot_{kind}"
    return handle
