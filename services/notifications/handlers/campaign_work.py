"""The campaign fan-out: one work message per chunk of invitees, taken by whichever
notifications process is free.

A chunk's deliveries are created with their dedupe keys (so a redelivered chunk finds them
instead of making new ones), then sent through the sender, which skips what is already sent
and takes over what a dead process had claimed once its lease lapsed. That is what lets a
process be killed mid-chunk: the chunk's message goes back to the queue, and its second run
sends only what is missing. A chunk is done once each invitee has had an attempt: emails the
server deferred are the retry pass's from then on (handlers/retries.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from typing import Any

from services.notifications.composing.campaign_mail import CampaignFacts, CampaignMail
from services.notifications.domain.campaigns import Campaign
from services.notifications.domain.deliveries import Claimed
from services.notifications.domain.emails import campaign_key
from services.notifications.handlers.campaign_progress import ProgressPace, finish_chunk
from services.notifications.persistence import campaigns as campaign_store
from services.notifications.persistence import events as event_store
from services.notifications.persistence.hotpath import HotPath
from services.notifications.sending.pool import CAMPAIGN
from services.notifications.sending.sender import Compose, Sender, Summary
from services.notifications.settings import NotificationsSettings
from shared.contracts import CampaignChunkQueued, Envelope
from shared.db import Database
from shared.logging import get_logger, log_context

log = get_logger(__name__)

# Statuses in which a chunk sends (completed: a replayed parked chunk finishing late).
_SENDING = ("running", "completed")


class CampaignMails:
    """Each campaign's email, compiled once per process (a small LRU)."""

    def __init__(self, settings: NotificationsSettings, size: int = 16) -> None:
        self._settings = settings
        self._size = size
        self._cache: OrderedDict[uuid.UUID, CampaignMail] = OrderedDict()

    async def get(self, db: Database, campaign: Campaign) -> CampaignMail:
        if (mail := self._cache.get(campaign.id)) is not None:
            self._cache.move_to_end(campaign.id)
            return mail
        async with db.unit_of_work() as uow:
            event = await event_store.get(uow, campaign.event_id)
        if event is None or campaign.invitation_expires_at is None:
            raise RuntimeError(f"campaign {campaign.id} has no event or expiry yet")
        mail = CampaignMail(facts(campaign), event, self._settings)
        self._cache[campaign.id] = mail
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return mail


def facts(campaign: Campaign) -> CampaignFacts:
    assert campaign.invitation_expires_at is not None
    return CampaignFacts(
        campaign_id=campaign.id,
        event_id=campaign.event_id,
        template=campaign.template,
        subject=campaign.subject,
        message=campaign.message,
        invitation_expires_at=campaign.invitation_expires_at,
        correlation_id=campaign.correlation_id,
    )


async def _chunk_deliveries(
    db: Database, hot: HotPath, campaign: Campaign, mail: CampaignMail, first: int, last: int
) -> list[uuid.UUID]:
    """The chunk's delivery rows, created on the first run (one multi-row insert)."""
    async with db.unit_of_work() as uow:
        invitees = await campaign_store.recipients(uow, campaign.id, first, last)
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "dedupe_key": campaign_key(campaign.id, invitee.email),
            "recipient": invitee.email,
            "recipient_name": invitee.name,
        }
        for invitee in invitees
    ]
    found = await hot.insert_campaign_deliveries(
        {
            "event_id": campaign.event_id,
            "campaign_id": campaign.id,
            "subject": mail.subject,
            "correlation_id": campaign.correlation_id,
        },
        rows,
    )
    return [found[row["dedupe_key"]] for row in rows]


async def run_chunk(
    payload: CampaignChunkQueued,
    *,
    db: Database,
    sender: Sender,
    mails: CampaignMails,
    hot: HotPath,
    batch: int,
    pace: ProgressPace | None = None,
) -> None:
    """Send a chunk `batch` emails at a time; between batches a pause or cancel is noticed."""
    with log_context(campaign_id=str(payload.campaign_id), chunk=payload.chunk):
        async with db.unit_of_work() as uow:
            campaign = await campaign_store.get(uow, payload.campaign_id)
            chunk = await campaign_store.chunk(uow, payload.campaign_id, payload.chunk)
        # A parked chunk runs again only when its parked message is replayed.
        if campaign is None or chunk is None or chunk[2] not in ("pending", "parked"):
            return
        if campaign.status not in _SENDING:
            # Paused or not started: `resume` queues the pending chunks again.
            log.info("campaign.chunk_deferred", status=campaign.status)
            return
        mail = await mails.get(db, campaign)
        ids = await _chunk_deliveries(db, hot, campaign, mail, chunk[0], chunk[1])
        total = await _send_in_batches(hot, sender, campaign.id, ids, batch, composer(mail))
        if total is None:
            log.info("campaign.chunk_interrupted")
            return
        total.raise_if_incomplete()
        await finish_chunk(db, campaign.id, payload.chunk, state="done", pace=pace)
        log.info("campaign.chunk_sent", sent=total.sent, failed=total.failed)


async def _send_in_batches(
    hot: HotPath,
    sender: Sender,
    campaign_id: uuid.UUID,
    ids: list[uuid.UUID],
    batch: int,
    compose: Compose,
) -> Summary | None:
    """Two batches in flight at once, so the next one is claimed while the last emails of the
    current one are still on the wire (the pool never waits for a claim). None if the campaign
    was paused or cancelled meanwhile."""
    slots = asyncio.Semaphore(2)
    interrupted = False

    async def one(part: list[uuid.UUID]) -> Summary:
        nonlocal interrupted
        async with slots:
            if interrupted or await hot.campaign_status(campaign_id) not in _SENDING:
                interrupted = True
                return Summary()
            return await sender.send(part, priority=CAMPAIGN, compose=compose)

    parts = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    total = Summary()
    for summary in await asyncio.gather(*(one(part) for part in parts)):
        total.merge(summary)
    return None if interrupted else total


def composer(mail: CampaignMail) -> Compose:
    def compose(delivery: Claimed) -> bytes:
        return mail.build(
            delivery_id=delivery.id, email=delivery.recipient, name=delivery.recipient_name or ""
        )

    return compose


async def on_chunk_parked(envelope: Envelope | None, error: str, *, db: Database) -> None:
    """The chunk's message failed for a reason other than the mail server (which only defers
    emails): the chunk counts as finished so the campaign can complete; its invitees' emails
    keep their states (deferred ones are still retried, by the retry pass)."""
    if envelope is None or envelope.type != "notifications.campaign_chunk.queued":
        return
    payload = CampaignChunkQueued.model_validate(envelope.payload)
    log.error("campaign.chunk_parked", campaign_id=str(payload.campaign_id), error=error[:300])
    await finish_chunk(db, payload.campaign_id, payload.chunk, state="parked")
