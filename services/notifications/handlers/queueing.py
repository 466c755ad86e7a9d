"""Queueing an email: its delivery row, in the caller's transaction, and how it gets sent.

Every caller says how (`send`), explicitly:
- `SendAfterCommit(sender)`: this process sends (booking and catalogue messages, the
  scheduler, staff test sends in a sending process). The new delivery's id is collected and
  the caller calls `committed()` once its transaction has committed: the email leaves within
  milliseconds, with no broker round trip and no work message on the happy path. If the
  server defers it, the row says when to try again and the scheduler's retry pass does
  (handlers/retries.py); if the process dies first, the retry pass finds the row still queued.
- `SendViaWorkQueue()`: this process does not send (an API-only process); the work message
  is written in the same transaction, and a sending process serves it.

Over the recipient's hourly cap the row is written `suppressed` and neither happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import partial

from services.notifications.composing.booking_mail import (
    BookingEmail,
    Composed,
    compose_booking_email,
)
from services.notifications.domain import deliveries as life_cycle
from services.notifications.domain.deliveries import State
from services.notifications.metrics import SUPPRESSED
from services.notifications.persistence import deliveries
from services.notifications.sending.sender import Sender
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingState, DeliveryQueued, Envelope, EventState
from shared.db import Database, UnitOfWork
from shared.logging import current_correlation_id, get_logger, mask_email
from shared.messaging.consumer import Handler
from shared.messaging.handlers import transactional

log = get_logger(__name__)


class SendAfterCommit:
    """This process sends the emails queued with it, once the caller's transaction has
    committed (`committed()`); never before, since a rolled-back row must not be sent."""

    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self.ids: list[uuid.UUID] = []

    def add(self, uow: UnitOfWork, delivery_id: uuid.UUID) -> None:
        self.ids.append(delivery_id)

    def committed(self) -> None:
        if self.ids:
            self._sender.send_soon(self.ids)
            self.ids = []


class SendViaWorkQueue:
    """Another process sends: the work message is written in the caller's transaction."""

    def add(self, uow: UnitOfWork, delivery_id: uuid.UUID) -> None:
        uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=delivery_id))

    def committed(self) -> None:
        """Nothing to do: the relay publishes the work message."""


Send = SendAfterCommit | SendViaWorkQueue


def send_from(sender: Sender | None) -> Send:
    """How a caller's emails go out: from this process when it sends, else via the queue."""
    return SendAfterCommit(sender) if sender is not None else SendViaWorkQueue()


# A use case that queues emails: `(payload, uow, *, send, ...)`.
MailingHandler = Callable[..., Awaitable[None]]


def mailing_table(
    db: Database, consumer: str, table: Mapping[str, MailingHandler], sender: Sender
) -> dict[str, Handler]:
    """Message handlers whose emails this process sends as soon as their transaction
    committed; a handler that failed committed nothing and sends nothing."""

    def wrap(fn: MailingHandler) -> Handler:
        async def handle(envelope: Envelope) -> None:
            send = SendAfterCommit(sender)
            await transactional(db, consumer, partial(fn, send=send))(envelope)
            send.committed()

        handle.__name__ = getattr(fn, "__name__", "handle")
        return handle

    return {type_: wrap(fn) for type_, fn in table.items()}


async def queue_email(
    uow: UnitOfWork,
    composed: Composed,
    *,
    send: Send,
    dedupe_key: str,
    kind: str,
    recipient: str,
    recipient_name: str | None = None,
    hourly_cap: int,
    booking_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Queue once: a second email with the same dedupe key is not queued (None); one over the
    recipient's hourly cap is written `suppressed` and never sent (None)."""
    queued = await deliveries.queue(
        uow,
        id=composed.delivery_id,
        dedupe_key=dedupe_key,
        kind=kind,
        booking_id=booking_id,
        event_id=event_id,
        recipient=recipient,
        recipient_name=recipient_name,
        subject=composed.subject,
        message=composed.message,
        message_id=composed.message_id,
        correlation_id=current_correlation_id(),
        hourly_cap=hourly_cap,
    )
    delivery_id = settle_queued(
        queued,
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        hourly_cap=hourly_cap,
        booking_id=booking_id,
        event_id=event_id,
    )
    if delivery_id is not None:
        send.add(uow, delivery_id)
    return delivery_id


def settle_queued(
    queued: tuple[uuid.UUID, State, int] | None,
    *,
    kind: str,
    dedupe_key: str,
    recipient: str,
    hourly_cap: int,
    booking_id: uuid.UUID | None,
    event_id: uuid.UUID | None,
) -> uuid.UUID | None:
    """What a delivery row's insert came to, logged and counted: the id to send, or None
    (queued before, or suppressed over the recipient's cap)."""
    if queued is None:
        log.info("email.already_queued", kind=kind, dedupe_key=dedupe_key)
        return None
    delivery_id, state, suppressed_before = queued
    if state is State.SUPPRESSED:
        SUPPRESSED.labels(kind).inc()
        if life_cycle.first_over_cap(suppressed_before):
            log.warning(
                "email.suppressed_over_cap",
                kind=kind,
                delivery_id=str(delivery_id),
                recipient=mask_email(recipient),
                cap=hourly_cap,
            )
        return None
    log.info(
        "email.queued",
        kind=kind,
        delivery_id=str(delivery_id),
        booking_id=str(booking_id) if booking_id else None,
        event_id=str(event_id) if event_id else None,
        recipient=mask_email(recipient),
    )
    return delivery_id


async def queue_booking_email(
    uow: UnitOfWork,
    email: BookingEmail,
    *,
    booking: BookingState,
    event: EventState,
    settings: NotificationsSettings,
    send: Send,
    dedupe_key: str,
) -> uuid.UUID | None:
    """Compose one booking email (as true for this version of the booking) and queue it."""
    composed = compose_booking_email(
        email,
        booking=booking,
        event=event,
        settings=settings,
        correlation_id=current_correlation_id(),
    )
    return await queue_email(
        uow,
        composed,
        send=send,
        dedupe_key=dedupe_key,
        kind=email.kind,
        recipient=booking.attendee.email,
        recipient_name=booking.attendee.name,
        hourly_cap=settings.recipient_hourly_cap,
        booking_id=booking.booking_id,
        event_id=booking.event_id,
    )
