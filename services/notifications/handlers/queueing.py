"""Queueing an email: its delivery row, in the caller's transaction, and how it gets sent.

Inside `send_after_commit()` (booking and catalogue messages, the scheduler, staff test sends)
the new delivery's id is collected, and the caller hands the ids to this process's sender once
its transaction has committed: the email leaves within milliseconds, with no broker round trip
and no work message on the happy path. If the server defers it, the row says when to try again
and the scheduler's retry pass does (handlers/retries.py); if the process dies first, the retry
pass finds the row still queued. Outside `send_after_commit()` the work message is written at
once, in the same transaction. Over the recipient's hourly cap the row is written `suppressed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from services.notifications.composing.booking_mail import (
    BookingEmail,
    Composed,
    compose_booking_email,
)
from services.notifications.domain import deliveries as life_cycle
from services.notifications.domain.deliveries import State
from services.notifications.metrics import SUPPRESSED
from services.notifications.persistence import deliveries
from services.notifications.settings import NotificationsSettings
from shared.contracts import BookingState, DeliveryQueued, EventState
from shared.db import UnitOfWork
from shared.logging import current_correlation_id, get_logger, mask_email

log = get_logger(__name__)

_COLLECTED: ContextVar[list[uuid.UUID] | None] = ContextVar("send_after_commit", default=None)


@contextmanager
def send_after_commit() -> Iterator[list[uuid.UUID]]:
    """Collect the deliveries queued inside; send them once the caller's transaction committed
    (only then: on an exception nothing was committed and the caller must not send)."""
    collected: list[uuid.UUID] = []
    token = _COLLECTED.set(collected)
    try:
        yield collected
    finally:
        _COLLECTED.reset(token)


async def queue_email(
    uow: UnitOfWork,
    composed: Composed,
    *,
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
    collected = _COLLECTED.get()
    if collected is None:
        uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=delivery_id))
    else:
        collected.append(delivery_id)
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
        dedupe_key=dedupe_key,
        kind=email.kind,
        recipient=booking.attendee.email,
        recipient_name=booking.attendee.name,
        hourly_cap=settings.recipient_hourly_cap,
        booking_id=booking.booking_id,
        event_id=booking.event_id,
    )
