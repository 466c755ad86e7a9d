"""Staff commands around a campaign before it sends: edit a draft, see its audience, make a
follow-up ("remind those who have not booked") or an announcement to attendees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.notifications.domain import audience as kinds
from services.notifications.domain import campaigns as rules
from services.notifications.domain.audience import Resolved
from services.notifications.domain.campaigns import Campaign
from services.notifications.handlers import audience as audience_resolver
from services.notifications.handlers import campaigns as commands
from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import campaigns as campaign_store
from services.notifications.persistence import events as event_store
from services.notifications.settings import NotificationsSettings
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.logging import get_logger

log = get_logger(__name__)


async def update_draft(db: Database, campaign_id: uuid.UUID, changes: dict[str, Any]) -> Campaign:
    """Change what a draft says or whom it is for; anything else is a 409."""
    async with db.unit_of_work() as uow:
        campaign = await campaign_store.get(uow, campaign_id, for_update=True)
        if campaign is None:
            raise NotFound("no such campaign", code="campaign_not_found")
        rules.check_transition(campaign.status, "edit")
        if "event_id" in changes and await event_store.get(uow, changes["event_id"]) is None:
            raise Invalid("event_id", "no such event (not published by the catalogue)")
        if "audience" in changes:
            if campaign.kind != kinds.INVITATION:
                raise Invalid("audience", f"a {campaign.kind} campaign's audience is not chosen")
            audience = changes.pop("audience")
            changes["cohort_ids"] = [str(c) for c in audience["cohort_ids"]]
            changes["emails"] = [str(e) for e in audience["emails"]]
        if changes:
            await campaign_store.update(uow, campaign_id, **changes)
        result = await campaign_store.get(uow, campaign_id)
        await uow.commit()
    assert result is not None
    log.info("campaign.updated", campaign_id=str(campaign_id), fields=sorted(changes))
    return result


async def audience(
    db: Database, campaign_id: uuid.UUID, settings: NotificationsSettings
) -> tuple[Resolved, bool]:
    """A draft's (or scheduled campaign's) audience as it would be resolved now; a launched
    one's as it was resolved. True when it is the one resolved at launch."""
    async with db.unit_of_work() as uow:
        campaign = await campaign_store.get(uow, campaign_id)
        if campaign is None:
            raise NotFound("no such campaign", code="campaign_not_found")
        if campaign.started_at is None:
            return await audience_resolver.resolve(uow, campaign, settings), False
        invitees = await facts_store.recipients_of(uow, campaign_id)
        return Resolved(invitees, await facts_store.exclusions(uow, campaign_id)), True


async def follow_up(
    db: Database, parent_id: uuid.UUID, *, subject: str, message: str, send_at: datetime | None
) -> Campaign:
    """A draft reminder to the parent's invitees; who is still to be chased is decided when
    it is launched (handlers/audience.py)."""
    async with db.unit_of_work() as uow:
        parent = await campaign_store.get(uow, parent_id)
    if parent is None:
        raise NotFound("no such campaign", code="campaign_not_found")
    if parent.kind == kinds.ANNOUNCEMENT:
        raise Invalid("campaign_id", "an announcement has no invitees to remind")
    rules.check_transition(parent.status, "follow_up")
    # A reminder of a reminder still chases the first campaign's invitees.
    root = parent.parent_id if parent.kind == kinds.FOLLOW_UP and parent.parent_id else parent_id
    return await commands.create(
        db,
        event_id=parent.event_id,
        cohort_ids=[uuid.UUID(c) for c in parent.cohort_ids],
        emails=list(parent.emails),
        template="invitation",
        subject=subject,
        message=message,
        send_at=send_at,
        kind=kinds.FOLLOW_UP,
        parent_id=root,
    )


async def announce(
    db: Database,
    *,
    event_id: uuid.UUID,
    subject: str,
    message: str,
    statuses: list[str],
    option_ids: list[uuid.UUID],
    send_at: datetime | None,
) -> Campaign:
    return await commands.create(
        db,
        event_id=event_id,
        cohort_ids=[],
        emails=[],
        template="announcement",
        subject=subject,
        message=message,
        send_at=send_at,
        kind=kinds.ANNOUNCEMENT,
        filters={"statuses": statuses, "option_ids": [str(o) for o in option_ids]},
    )


async def latest(
    db: Database,
    *,
    status: str | None,
    event_id: uuid.UUID | None,
    kind: str | None,
    limit: int,
) -> list[Campaign]:
    async with db.unit_of_work() as uow:
        return await campaign_store.search(
            uow, status=status, event_id=event_id, kind=kind, limit=limit
        )
