"""Invitation links: each problem with its own reason (expired, for another event, for
another address, campaign cancelled), and what the roster knows of a valid invitee, so the
form is filled in for them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.bookings.domain.bookings import email_key
from services.bookings.persistence import invitations as store
from services.bookings.persistence import replica
from services.bookings.settings import BookingsSettings
from shared.db import Database
from shared.errors import Invalid
from shared.invitations import (
    ExpiredInvitation,
    InvalidInvitation,
    Invitation,
    verify_invitation,
)


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str = ""
    organisation: str = ""
    role: str = ""


def verified(settings: BookingsSettings, event_id: uuid.UUID, token: str) -> Invitation:
    """The invitation a token carries, if it is genuine, current and for this event."""
    key = settings.invitation_signing_key.get_secret_value()
    try:
        invitation = verify_invitation(key, token)
    except ExpiredInvitation:
        raise Invalid(
            "invitation", "this invitation has expired", code="invitation_expired"
        ) from None
    except InvalidInvitation:
        raise Invalid(
            "invitation", "this invitation link is not valid", code="invitation_invalid"
        ) from None
    if invitation.event_id != event_id:
        raise Invalid(
            "invitation", "this invitation is for another event", code="invitation_other_event"
        )
    return invitation


def campaign_for(
    settings: BookingsSettings, event_id: uuid.UUID, email: str, token: str
) -> uuid.UUID:
    """The campaign of a valid invitation to this event for this address."""
    invitation = verified(settings, event_id, token)
    if invitation.email != email_key(email):
        raise Invalid(
            "invitation",
            "this invitation is for another email address",
            code="invitation_other_address",
        )
    return invitation.campaign_id


async def check_campaign(db: Database, campaign_id: uuid.UUID) -> None:
    """Refuse an invitation whose campaign staff cancelled."""
    async with db.unit_of_work() as uow:
        cancelled = await store.is_cancelled(uow, campaign_id)
    if cancelled:
        raise Invalid(
            "invitation",
            "this invitation was withdrawn: its campaign was cancelled",
            code="invitation_campaign_cancelled",
        )


async def invitee(
    db: Database, settings: BookingsSettings, event_id: uuid.UUID, token: str
) -> Invitee:
    """Who a valid invitation is for, with the name, organisation and role the roster holds."""
    invitation = verified(settings, event_id, token)
    await check_campaign(db, invitation.campaign_id)
    async with db.unit_of_work() as uow:
        facts, _ = await replica.load(uow, event_id)
        entry = await store.roster_entry(uow, invitation.email, list(facts.cohort_ids))
    if entry is None:
        return Invitee(email=invitation.email)
    return Invitee(invitation.email, entry.name, entry.organisation, entry.role)
