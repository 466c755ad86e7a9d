"""Staff routes over whom campaigns reach: the audience with who is left out and why,
follow-ups of those who have not booked, announcements to attendees, invitees' answers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from services.notifications.api.campaign_public import campaign_public
from services.notifications.api.schemas import (
    ERRORS,
    AnnouncementCreate,
    AnswerPublic,
    AudiencePublic,
    CampaignPublic,
    FollowUpCreate,
    LeftOutPerson,
)
from services.notifications.handlers import campaign_drafts, campaigns
from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import scopes
from shared.auth import require_role
from shared.programme_scope import check_programme, programme_guard
from shared.web import DbDep

router = APIRouter(
    prefix="/staff",
    tags=["staff"],
    dependencies=[Depends(require_role("staff")), programme_guard(scopes.LOOKUPS)],
)


@router.get("/campaigns/{campaign_id}/audience", response_model=AudiencePublic, responses=ERRORS)
async def campaign_audience(
    campaign_id: uuid.UUID,
    db: DbDep,
    request: Request,
    show: Annotated[int, Query(ge=0, le=5000, description="people left out to list")] = 500,
) -> AudiencePublic:
    """How many people it reaches, and who is left out and why (already booked, opted out,
    suppressed after a hard bounce, no longer on a roster, answered "I can't come")."""
    resolved, at_launch = await campaign_drafts.audience(
        db, campaign_id, request.app.state.settings
    )
    return AudiencePublic(
        reaches=len(resolved.invitees),
        left_out=resolved.counts(),
        people_left_out=[
            LeftOutPerson(email=e.email, name=e.name, reason=e.reason.value)
            for e in resolved.left_out[:show]
        ],
        resolved_at_launch=at_launch,
    )


@router.post(
    "/campaigns/{campaign_id}/follow-up",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignPublic,
    responses=ERRORS,
)
async def create_follow_up(
    campaign_id: uuid.UUID, body: FollowUpCreate, db: DbDep
) -> CampaignPublic:
    """A draft "remind those who have not booked": exactly the invitees who have neither
    booked, opted out nor answered "I can't come" when it is launched."""
    campaign = await campaign_drafts.follow_up(
        db, campaign_id, subject=body.subject, message=body.message, send_at=body.send_at
    )
    return await campaign_public(db, campaign)


@router.get("/campaigns/{campaign_id}/answers", response_model=list[AnswerPublic], responses=ERRORS)
async def campaign_answers(campaign_id: uuid.UUID, db: DbDep) -> list[AnswerPublic]:
    """Invitees of the campaign's event who answered "I can't come" from an email."""
    found = await campaigns.get(db, campaign_id)
    async with db.unit_of_work() as uow:
        rows = await facts_store.answers(uow, found.event_id)
    return [AnswerPublic(email=email, answered_at=at) for email, at in rows]


@router.post(
    "/announcements",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignPublic,
    responses=ERRORS,
)
async def create_announcement(body: AnnouncementCreate, db: DbDep) -> CampaignPublic:
    """A draft message to the people booked on an event ("the room has changed"), narrowed
    by status and option; previewed, tested, counted and launched like any campaign."""
    async with db.unit_of_work() as uow:
        check_programme(await scopes.programme_of_event(uow, body.event_id), hide=False)
    campaign = await campaign_drafts.announce(
        db,
        event_id=body.event_id,
        subject=body.subject,
        message=body.message,
        statuses=list(body.statuses),
        option_ids=body.option_ids,
        send_at=body.send_at,
    )
    return await campaign_public(db, campaign)
