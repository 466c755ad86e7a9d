"""Use cases of the send queue: send a queued email; record the give-up when its work message
is parked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.notifications.persistence import outcomes
from services.notifications.sending.pool import TRANSACTIONAL
from services.notifications.sending.sender import Sender
from shared.contracts import DeliveryQueued, EmailOutcome, Envelope
from shared.db import Database, UnitOfWork
from shared.logging import get_logger, mask_email

log = get_logger(__name__)


async def send_queued(payload: DeliveryQueued, *, sender: Sender) -> None:
    """Sent or refused for good: done. Anything still outstanding (server unreachable, a 4xx,
    another live process holding it) raises, so the message comes back through the retry
    queue with a growing delay."""
    summary = await sender.send([payload.delivery_id], priority=TRANSACTIONAL)
    summary.raise_if_incomplete()


async def park_deliveries(uow: UnitOfWork, ids: Sequence[uuid.UUID], error: str) -> int:
    """Retries ran out: the unsent deliveries become `parked` with the reason, and each one is
    announced as failed. Idempotent: a row already final is left alone."""
    parked = await outcomes.park_unsent(uow, list(ids), error)
    for row in parked:
        uow.emit(
            "notifications.email.failed",
            EmailOutcome(
                delivery_id=row.id,
                kind=row.kind,
                recipient_masked=mask_email(row.recipient) or "",
                booking_id=row.booking_id,
                campaign_id=row.campaign_id,
                event_id=row.event_id,
                attempts=row.attempts,
                error=f"retries exhausted: {error}"[:2000],
            ),
        )
        log.error("email.parked", delivery_id=str(row.id), kind=row.kind, error=error[:300])
    return len(parked)


async def on_send_parked(envelope: Envelope | None, error: str, *, db: Database) -> None:
    if envelope is None or envelope.type != "notifications.delivery.queued":
        return
    payload = DeliveryQueued.model_validate(envelope.payload)
    async with db.unit_of_work() as uow:
        await park_deliveries(uow, [payload.delivery_id], error)
        await uow.commit()
