"""One-click unsubscribe from campaign emails: honoured by later campaigns and by those
sending now (their unsent emails to the address are cancelled in the same transaction)."""

from __future__ import annotations

from services.notifications.domain.unsubscribe import (
    InvalidUnsubscribe,
    Unsubscribe,
    verify_unsubscribe,
)
from services.notifications.persistence import in_flight, optouts
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.errors import NotFound
from shared.logging import get_logger, mask_email

log = get_logger(__name__)


def check(token: str, settings: NotificationsSettings) -> Unsubscribe:
    try:
        return verify_unsubscribe(settings.unsubscribe_signing_key.get_secret_value(), token)
    except InvalidUnsubscribe:
        # 404 rather than 422: an unknown or forged link simply leads nowhere.
        raise NotFound("this unsubscribe link is not valid", code="unsubscribe_invalid") from None


async def unsubscribe(db: Database, token: str, settings: NotificationsSettings) -> str:
    """Record the opt-out the token names; returns the (masked) address. Repeating is fine."""
    request = check(token, settings)
    async with db.unit_of_work() as uow:
        added = await optouts.add(uow, request.email, request.campaign_id)
        await in_flight.cancel_for_opt_out(uow, request.email)
        await uow.commit()
    masked = mask_email(request.email) or ""
    log.info("optout.recorded", recipient=masked, new=added, campaign_id=str(request.campaign_id))
    return masked
