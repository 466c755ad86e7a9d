"""Invitees' answers from the email: "I can't come" is recorded once per event, shown to
staff, and stops reminders (follow-up campaigns) to that address, those sending now included."""

from __future__ import annotations

from services.notifications.domain.answers import Answer, InvalidAnswer, verify_decline
from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import in_flight
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.errors import NotFound
from shared.logging import get_logger, mask_email

log = get_logger(__name__)


def check(token: str, settings: NotificationsSettings) -> Answer:
    try:
        return verify_decline(settings.unsubscribe_signing_key.get_secret_value(), token)
    except InvalidAnswer:
        raise NotFound("this link is not valid", code="answer_invalid") from None


async def decline(db: Database, token: str, settings: NotificationsSettings) -> str:
    """Record "I can't come"; returns the masked address. Repeating it changes nothing."""
    answer = check(token, settings)
    async with db.unit_of_work() as uow:
        added = await facts_store.answer(
            uow, event_id=answer.event_id, email=answer.email, campaign_id=answer.campaign_id
        )
        stopped = await in_flight.cancel_for_answer(uow, answer.email, answer.event_id)
        await uow.commit()
    masked = mask_email(answer.email) or ""
    log.info(
        "invitation.declined",
        recipient=masked,
        new=added,
        stopped=stopped,
        event_id=str(answer.event_id),
        campaign_id=str(answer.campaign_id),
    )
    return masked
