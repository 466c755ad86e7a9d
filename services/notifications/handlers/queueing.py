"""Queueing an email: its delivery row and its work message, in the caller's transaction."""

from __future__ import annotations

import uuid

from services.notifications.composing.booking_mail import Composed
from services.notifications.persistence import deliveries
from shared.contracts import DeliveryQueued
from shared.db import UnitOfWork
from shared.logging import current_correlation_id, get_logger, mask_email

log = get_logger(__name__)


async def queue_email(
    uow: UnitOfWork,
    composed: Composed,
    *,
    dedupe_key: str,
    kind: str,
    recipient: str,
    recipient_name: str | None = None,
    booking_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Queue once: a second email with the same dedupe key is not queued (None)."""
    delivery_id = await deliveries.queue(
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
    )
    if delivery_id is None:
        log.info("email.already_queued", kind=kind, dedupe_key=dedupe_key)
        return None
    uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=delivery_id))
    log.info(
        "email.queued",
        kind=kind,
        delivery_id=str(delivery_id),
        booking_id=str(booking_id) if booking_id else None,
        event_id=str(event_id) if event_id else None,
        recipient=mask_email(recipient),
    )
    return delivery_id
