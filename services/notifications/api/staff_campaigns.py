"""Staff routes over invitation campaigns."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, status

from services.notifications.api.schemas import (
    ERRORS,
    CampaignCounts,
    CampaignCreate,
    CampaignPublic,
    PreviewPublic,
    Queued,
    TestSend,
)
from services.notifications.api.sending import SendDep
from services.notifications.domain.campaigns import Campaign
from services.notifications.handlers import campaign_progress, campaigns, previews
from services.notifications.persistence import scopes
from shared.auth import require_role
from shared.contracts.attendees import Email
from shared.db import Database
from shared.programme_scope import check_programme, programme_guard
from shared.web import DbDep

router = APIRouter(
    prefix="/staff/campaigns",
    tags=["staff"],
    dependencies=[Depends(require_role("staff")), programme_guard(scopes.LOOKUPS)],
)


async def _public(db: Database, campaign: Campaign) -> CampaignPublic:
    async with db.unit_of_work() as uow:
        counts = await campaign_progress.counts(uow, campaign)
    return CampaignPublic.of(campaign, CampaignCounts.model_validate(counts, from_attributes=True))


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=CampaignPublic, responses=ERRORS
)
async def create_campaign(body: CampaignCreate, db: DbDep) -> CampaignPublic:
    """Create a draft campaign for an event and an audience (cohorts and extra addresses)."""
    async with db.unit_of_work() as uow:
        check_programme(await scopes.programme_of_event(uow, body.event_id), hide=False)
    campaign = await campaigns.create(
        db,
        event_id=body.event_id,
        cohort_ids=body.audience.cohort_ids,
        emails=[str(e) for e in body.audience.emails],
        template=body.template,
        subject=body.subject,
        message=body.message,
        send_at=body.send_at,
    )
    return await _public(db, campaign)


@router.get("/{campaign_id}", response_model=CampaignPublic, responses=ERRORS)
async def get_campaign(campaign_id: uuid.UUID, db: DbDep) -> CampaignPublic:
    """Status and counts: recipients, queued, sent, failed, opted out, booked."""
    return await _public(db, await campaigns.get(db, campaign_id))


@router.get("/{campaign_id}/preview", response_model=PreviewPublic, responses=ERRORS)
async def preview_campaign(
    campaign_id: uuid.UUID, db: DbDep, request: Request, email: Email | None = None
) -> PreviewPublic:
    """The email one invitee gets (the first one, or the address given)."""
    shown = await previews.campaign_preview(
        db, campaign_id, str(email) if email else None, request.app.state.settings
    )
    return PreviewPublic.model_validate(shown, from_attributes=True)


@router.post(
    "/{campaign_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Queued,
    responses=ERRORS,
)
async def test_campaign(
    campaign_id: uuid.UUID, body: TestSend, db: DbDep, request: Request, send: SendDep
) -> Queued:
    """Send the campaign's email, as that address would get it, to one address."""
    delivery_id = await previews.campaign_test(
        db, campaign_id, str(body.email), request.app.state.settings, send=send
    )
    send.committed()
    return Queued(delivery_id=delivery_id)


@router.post("/{campaign_id}/launch", response_model=CampaignPublic, responses=ERRORS)
async def launch_campaign(campaign_id: uuid.UUID, db: DbDep, request: Request) -> CampaignPublic:
    """Resolve the audience and start sending (or schedule it for `send_at`)."""
    return await _public(db, await campaigns.launch(db, campaign_id, request.app.state.settings))


@router.post("/{campaign_id}/pause", response_model=CampaignPublic, responses=ERRORS)
async def pause_campaign(campaign_id: uuid.UUID, db: DbDep) -> CampaignPublic:
    """Stop sending; what is not yet sent waits for `resume`."""
    return await _public(db, await campaigns.pause(db, campaign_id))


@router.post("/{campaign_id}/resume", response_model=CampaignPublic, responses=ERRORS)
async def resume_campaign(campaign_id: uuid.UUID, db: DbDep) -> CampaignPublic:
    """Carry on sending a paused campaign."""
    return await _public(db, await campaigns.resume(db, campaign_id))


@router.post("/{campaign_id}/cancel", response_model=CampaignPublic, responses=ERRORS)
async def cancel_campaign(campaign_id: uuid.UUID, db: DbDep) -> CampaignPublic:
    """Stop for good; invitees not yet emailed will not be."""
    return await _public(db, await campaigns.cancel(db, campaign_id))
