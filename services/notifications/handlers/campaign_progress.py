"""A campaign's counts, its progress messages, and finishing a chunk of its work."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.notifications import metrics
from services.notifications.domain.campaigns import Campaign
from services.notifications.persistence import bookings as booking_store
from services.notifications.persistence import campaign_counts
from services.notifications.persistence import campaigns as campaign_store
from shared.contracts import CampaignProgress
from shared.db import Database, UnitOfWork
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Counts:
    recipients: int
    queued: int
    sent: int
    failed: int
    cancelled: int
    opted_out: int
    booked: int
    suppressed: int = 0
    declined: int = 0
    left_out: int = 0


async def counts(uow: UnitOfWork, campaign: Campaign) -> Counts:
    """From the recipients' rows (persistence/campaign_counts.py). `queued` is everyone not
    yet sent nor given up (including invitees whose email is not even composed yet, and those
    deferred); `failed` is those given up on; `opted_out` counts those left out at launch for
    it and those who opted out while it was sending."""
    rows = await campaign_counts.of_campaign(uow, campaign.id)
    b = rows.buckets
    return Counts(
        recipients=rows.recipients,
        queued=b["queued"],
        sent=b["sent"],
        failed=b["failed"],
        cancelled=b["cancelled"],
        opted_out=b["opted_out"] + rows.left_out.get("opted_out", 0),
        booked=await booking_store.booked_from_campaign(uow, campaign.id),
        suppressed=b["suppressed"],
        declined=b["declined"],
        left_out=sum(rows.left_out.values()),
    )


def progress(campaign: Campaign, status: str, c: Counts) -> CampaignProgress:
    return CampaignProgress(
        campaign_id=campaign.id,
        event_id=campaign.event_id,
        status=status,  # type: ignore[arg-type]
        recipients=c.recipients,
        queued=c.queued,
        sent=c.sent,
        failed=c.failed,
        opted_out=c.opted_out,
        booked=c.booked,
    )


def _show(campaign: Campaign, status: str, c: Counts) -> None:
    metrics.show_campaign(
        campaign.id, status, {state: getattr(c, state) for state in metrics.CAMPAIGN_STATES}
    )


async def prune_campaign_series(db: Database) -> None:
    """Drop the series of campaigns another process finished: only the process that completes
    a campaign sees it happen, and every other one would keep its last counts for ever."""
    shown = metrics.shown_campaigns()
    if not shown:
        return
    async with db.unit_of_work() as uow:
        for key in shown:
            campaign = await campaign_store.get(uow, uuid.UUID(key))
            if campaign is None or campaign.status in metrics.FINISHED:
                metrics.forget_campaign(key)


async def emit_progress(uow: UnitOfWork, campaign: Campaign, status: str) -> None:
    c = await counts(uow, campaign)
    _show(campaign, status, c)
    uow.emit("notifications.campaign.progressed", progress(campaign, status, c))


class ProgressPace:
    """When a running campaign's progress is counted again. A count reads every invitee's row,
    so counting after each chunk grew with the square of the campaign's size: a 10,000-invitee
    campaign spent more PostgreSQL CPU on its 40 counts than on sending its emails. Between
    chunks a count is taken at most every `every` seconds and at most `share` of the time (a
    count of 200 ms waits 2 s for the next); completion is always counted."""

    def __init__(
        self,
        every: float = 1.0,
        share: float = 0.1,
        *,
        clock: Callable[[], float] = time.monotonic,
        remembered: int = 1000,
    ) -> None:
        self._every = every
        self._share = share
        self._clock = clock
        self._remembered = remembered
        self._next: dict[uuid.UUID, float] = {}

    def due(self, campaign_id: uuid.UUID) -> bool:
        return self._clock() >= self._next.get(campaign_id, float("-inf"))

    def counted(self, campaign_id: uuid.UUID, started: float) -> None:
        """A count that began at `started` (this pace's clock) has just ended."""
        now = self._clock()
        self._next.pop(campaign_id, None)
        self._next[campaign_id] = now + max(self._every, (now - started) / self._share)
        while len(self._next) > self._remembered:  # the oldest first (dicts keep order)
            del self._next[next(iter(self._next))]

    def forget(self, campaign_id: uuid.UUID) -> None:
        self._next.pop(campaign_id, None)

    def now(self) -> float:
        return self._clock()


async def finish_chunk(
    db: Database,
    campaign_id: uuid.UUID,
    chunk: int,
    *,
    state: str,
    pace: ProgressPace | None = None,
) -> None:
    """Mark a chunk done (or parked), tell how far the campaign is (as often as `pace` allows;
    always without one), and complete it when this was the last chunk. The campaign row's
    lock serialises chunks finishing at once in several processes, so exactly one of them
    sees "none left" and completes it."""
    async with db.unit_of_work() as uow:
        campaign = await campaign_store.get(uow, campaign_id, for_update=True)
        if campaign is None:
            return
        await campaign_store.set_chunk_state(uow, campaign_id, chunk, state)
        status = campaign.status
        if status == "running" and not await campaign_store.pending_chunks(uow, campaign_id):
            status = "completed"
            await campaign_store.update(
                uow, campaign_id, status=status, finished_at=datetime.now(UTC)
            )
        if status == "running" and pace is not None and not pace.due(campaign_id):
            await uow.commit()
            return
        started = pace.now() if pace is not None else 0.0
        c = await counts(uow, campaign)
        if pace is not None:
            pace.counted(campaign_id, started)
        _show(campaign, status, c)
        uow.emit("notifications.campaign.progressed", progress(campaign, status, c))
        if status == "completed":
            if pace is not None:
                pace.forget(campaign_id)
            uow.emit("notifications.campaign.completed", progress(campaign, status, c))
            log.info(
                "campaign.completed", campaign_id=str(campaign_id), sent=c.sent, failed=c.failed
            )
        await uow.commit()
