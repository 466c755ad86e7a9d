"""Staff sending an email again: a failed one once its cause is fixed (to a corrected address
if need be), or a copy of a sent transactional email ("resend my confirmation")."""

from __future__ import annotations

import uuid

from services.notifications.composing.booking_mail import Composed
from services.notifications.composing.mime import domain_of
from services.notifications.composing.readdress import readdressed
from services.notifications.domain import deliveries as life_cycle
from services.notifications.domain.deliveries import Delivery, State
from services.notifications.handlers.queueing import Send, queue_email
from services.notifications.persistence import deliveries
from services.notifications.settings import NotificationsSettings
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, NotFound
from shared.logging import get_logger, mask_email

log = get_logger(__name__)


async def resend(
    db: Database,
    delivery_id: uuid.UUID,
    to: str | None,
    settings: NotificationsSettings,
    *,
    send: Send,
) -> Delivery:
    """A copy is queued with `send` (the caller calls `send.committed()`)."""
    async with db.unit_of_work() as uow:
        row = await deliveries.get(uow, delivery_id)
        if row is None:
            raise NotFound("no such delivery", code="delivery_not_found")
        state = State(row.state)
        if life_cycle.resendable(state):
            result = await _retry(uow, row, to, settings)
        elif state is State.SENT and row.campaign_id is None and not row.kind.startswith("test:"):
            result = await _copy(uow, row, to, settings, send)
        else:
            raise Conflict(
                "only a failed email, or a sent email about a booking, can be resent; "
                f"this one is {row.kind}, {row.state}",
                code="delivery_not_resendable",
            )
        await uow.commit()
    log.info(
        "email.resent",
        delivery_id=str(delivery_id),
        new_delivery_id=str(result.id),
        readdressed=to is not None,
        recipient=mask_email(result.recipient),
    )
    return result


async def _retry(
    uow: UnitOfWork, row: Delivery, to: str | None, settings: NotificationsSettings
) -> Delivery:
    if to is not None:
        raw = await deliveries.message_of(uow, row.id)
        message = (
            readdressed(
                raw, to_email=to, message_id=row.message_id or _message_id(row.id, settings)
            )
            if raw is not None
            else None
        )
        await deliveries.readdress(uow, row.id, to, message)
    resent = await deliveries.resend(uow, row.id)
    if resent is None:  # it moved on meanwhile (another staff member resent it)
        raise Conflict("this email is no longer failed", code="delivery_not_failed")
    return resent


async def _copy(
    uow: UnitOfWork, row: Delivery, to: str | None, settings: NotificationsSettings, send: Send
) -> Delivery:
    raw = await deliveries.message_of(uow, row.id)
    if raw is None:
        raise Conflict("this email has no stored message to resend", code="message_not_found")
    new_id = uuid.uuid4()
    message_id = _message_id(new_id, settings)
    copy = readdressed(raw, to_email=to, message_id=message_id)
    queued = await queue_email(
        uow,
        Composed(new_id, row.subject, copy, message_id),
        dedupe_key=f"resend:{row.id}:{new_id}",
        kind=row.kind,
        recipient=to or row.recipient,
        hourly_cap=0,  # asked for by staff, one at a time
        booking_id=row.booking_id,
        event_id=row.event_id,
        send=send,
    )
    found = await deliveries.get(uow, queued) if queued else None
    assert found is not None
    return found


def _message_id(delivery_id: uuid.UUID, settings: NotificationsSettings) -> str:
    return f"<{delivery_id}@{domain_of(settings.mail_from)}>"
