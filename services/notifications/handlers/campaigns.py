"""Campaign commands (staff): create a draft, launch (now or at `send_at`), pause, resume,
cancel. Launching resolves the audience and queues one work message per chunk of invitees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notifications.domain import campaigns as rules
from services.notifications.domain.audience import LeftOut
from services.notifications.domain.campaigns import Campaign
from services.notifications.handlers import audience as audience_resolver
from services.notifications.handlers import campaign_progress
from services.notifications.handlers.campaign_progress import emit_progress
from services.notifications.persistence import audience as facts_store
from services.notifications.persistence import campaigns as campaign_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence import outcomes
from services.notifications.settings import NotificationsSettings
from shared.contracts import CampaignChunkQueued, EventState
from shared.db import Database, UnitOfWork
from shared.errors import Invalid, NotFound
from shared.logging import current_correlation_id, get_logger, log_context, new_correlation_id
from shared.staff_actions import describe_staff_action

log = get_logger(__name__)


async def create(
    db: Database,
    *,
    event_id: uuid.UUID,
    cohort_ids: list[uuid.UUID],
    emails: list[str],
    template: str,
    subject: str,
    message: str,
    send_at: datetime | None,
    kind: str = "invitation",
    parent_id: uuid.UUID | None = None,
    filters: dict[str, object] | None = None,
) -> Campaign:
    campaign_id = uuid.uuid4()
    describe_staff_action(target_id=campaign_id, event_id=event_id)
    async with db.unit_of_work() as uow:
        if await event_store.get(uow, event_id) is None:
            raise Invalid("event_id", "no such event (not published by the catalogue)")
        await campaign_store.add(
            uow,
            id=campaign_id,
            event_id=event_id,
            template=template,
            subject=subject,
            message=message,
            cohort_ids=[str(c) for c in cohort_ids],
            emails=emails,
            send_at=send_at,
            status="draft",
            kind=kind,
            parent_id=parent_id,
            filters=filters,
        )
        campaign = await campaign_store.get(uow, campaign_id)
        await uow.commit()
    assert campaign is not None
    log.info("campaign.created", campaign_id=str(campaign_id), event_id=str(event_id))
    return campaign


async def _locked(uow: UnitOfWork, campaign_id: uuid.UUID) -> Campaign:
    campaign = await campaign_store.get(uow, campaign_id, for_update=True)
    if campaign is None:
        raise NotFound("no such campaign", code="campaign_not_found")
    return campaign


def _expiry(event: EventState, now: datetime, settings: NotificationsSettings) -> datetime:
    """Invitations are good until the event ends, however early they go out (a reunion's
    invitations leave months ahead); bookings still applies the booking window, with its own
    message. The TTL only covers an event already over, which nobody should invite to."""
    return event.ends_at if event.ends_at > now else now + settings.invitation_ttl


async def start(
    uow: UnitOfWork, campaign: Campaign, settings: NotificationsSettings, now: datetime
) -> None:
    """Resolve the audience now (handlers/audience.py: who it reaches, who is left out and
    why, recorded), number it, and queue its chunks."""
    event = await event_store.get(uow, campaign.event_id)
    if event is None:
        raise Invalid("event_id", "the campaign's event is no longer known")
    audience = await audience_resolver.resolve(uow, campaign, settings)
    opted_out = audience.counts()[LeftOut.OPTED_OUT]
    await campaign_store.add_recipients(uow, campaign.id, audience.invitees)
    await facts_store.add_exclusions(uow, campaign.id, audience.left_out)
    ranges = rules.chunk_ranges(len(audience.invitees), settings.campaign_chunk_size)
    await campaign_store.add_chunks(uow, campaign.id, ranges)
    status = "running" if ranges else "completed"
    await campaign_store.update(
        uow,
        campaign.id,
        status=status,
        recipients=len(audience.invitees),
        opted_out=opted_out,
        chunks=len(ranges),
        invitation_expires_at=_expiry(event, now, settings),
        correlation_id=current_correlation_id(),
        started_at=now,
        finished_at=None if ranges else now,
    )
    for number in range(len(ranges)):
        uow.emit(
            "notifications.campaign_chunk.queued",
            CampaignChunkQueued(campaign_id=campaign.id, chunk=number),
        )
    log.info(
        "campaign.started",
        campaign_id=str(campaign.id),
        recipients=len(audience.invitees),
        left_out=len(audience.left_out),
        chunks=len(ranges),
    )


async def launch(db: Database, campaign_id: uuid.UUID, settings: NotificationsSettings) -> Campaign:
    async with db.unit_of_work() as uow:
        campaign = await _locked(uow, campaign_id)
        rules.check_transition(campaign.status, "launch")
        now = datetime.now(UTC)
        if rules.status_after_launch(campaign.send_at, now) == "scheduled":
            await campaign_store.update(uow, campaign_id, status="scheduled")
        else:
            await start(uow, campaign, settings, now)
        result = await campaign_store.get(uow, campaign_id)
        await uow.commit()
    assert result is not None
    return result


async def pause(db: Database, campaign_id: uuid.UUID) -> Campaign:
    return await _set_status(db, campaign_id, "pause", "paused")


async def resume(db: Database, campaign_id: uuid.UUID) -> Campaign:
    """Back to running (or scheduled, if it was paused before it started); the chunks not
    finished are queued again (a chunk still in flight is harmless: deliveries dedupe)."""
    async with db.unit_of_work() as uow:
        campaign = await _locked(uow, campaign_id)
        rules.check_transition(campaign.status, "resume")
        status = "running" if campaign.started_at else "scheduled"
        pending = await campaign_store.pending_chunks(uow, campaign_id)
        if status == "running" and not pending:
            # Its last chunk finished while it was paused: nothing is left to queue, and no
            # chunk will finish again to complete it, so resuming completes it now.
            status = "completed"
        await campaign_store.update(
            uow,
            campaign_id,
            status=status,
            finished_at=datetime.now(UTC) if status == "completed" else None,
        )
        for number in pending:
            uow.emit(
                "notifications.campaign_chunk.queued",
                CampaignChunkQueued(campaign_id=campaign_id, chunk=number),
            )
        result = await campaign_store.get(uow, campaign_id)
        assert result is not None
        if status == "completed":
            await emit_progress(uow, result, status)
            c = await campaign_progress.counts(uow, result)
            uow.emit(
                "notifications.campaign.completed", campaign_progress.progress(result, status, c)
            )
        await uow.commit()
    log.info("campaign.resumed", campaign_id=str(campaign_id), status=status)
    return result


async def cancel(db: Database, campaign_id: uuid.UUID) -> Campaign:
    async with db.unit_of_work() as uow:
        campaign = await _locked(uow, campaign_id)
        rules.check_transition(campaign.status, "cancel")
        await campaign_store.update(
            uow, campaign_id, status="cancelled", finished_at=datetime.now(UTC)
        )
        await campaign_store.cancel_pending_chunks(uow, campaign_id)
        await outcomes.cancel_unsent(uow, campaign_id)
        result = await campaign_store.get(uow, campaign_id)
        assert result is not None
        await emit_progress(uow, result, "cancelled")
        await uow.commit()
    log.info("campaign.cancelled", campaign_id=str(campaign_id))
    return result


async def _set_status(db: Database, campaign_id: uuid.UUID, action: str, status: str) -> Campaign:
    async with db.unit_of_work() as uow:
        campaign = await _locked(uow, campaign_id)
        rules.check_transition(campaign.status, action)
        await campaign_store.update(uow, campaign_id, status=status)
        result = await campaign_store.get(uow, campaign_id)
        assert result is not None
        await emit_progress(uow, result, status)
        await uow.commit()
    log.info(f"campaign.{status}", campaign_id=str(campaign_id))
    return result


async def start_due(db: Database, settings: NotificationsSettings) -> int:
    """Scheduler: start scheduled campaigns whose time has come (SKIP LOCKED)."""
    async with db.unit_of_work() as uow:
        now = datetime.now(UTC)
        started = 0
        for campaign_id in await campaign_store.due_scheduled(uow, now):
            campaign = await campaign_store.get(uow, campaign_id)
            if campaign is not None:
                # Its own trail in the logs and in its emails' X-Correlation-ID.
                with log_context(correlation_id=new_correlation_id(), message_id=None):
                    await start(uow, campaign, settings, now)
                started += 1
        await uow.commit()
    return started


async def get(db: Database, campaign_id: uuid.UUID) -> Campaign:
    async with db.unit_of_work() as uow:
        campaign = await campaign_store.get(uow, campaign_id)
    if campaign is None:
        raise NotFound("no such campaign", code="campaign_not_found")
    return campaign
