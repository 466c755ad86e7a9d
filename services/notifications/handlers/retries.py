"""The retry pass of the scheduler: every email that is due again goes back to the sender.

Due means deferred with its next attempt time passed, a claim whose lease lapsed (its sender
died or lost its database), or a transactional email still queued a while after it was written
(its process died between the commit and the send). Emails past their deadline fail first.
While the mail server is away nothing is claimed; the pass only probes it, and when it answers
again every email it deferred is due at once: transactional ones are sent (and awaited) before
any campaign email is claimed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from services.notifications.handlers.campaign_work import CampaignMails, composer
from services.notifications.persistence import campaigns as campaign_store
from services.notifications.persistence import deliveries
from services.notifications.persistence.hotpath import HotPath
from services.notifications.sending.pool import CAMPAIGN, TRANSACTIONAL, SmtpPool
from services.notifications.sending.sender import Sender, Summary
from services.notifications.settings import NotificationsSettings
from shared.contracts import EmailOutcome
from shared.db import Database
from shared.logging import get_logger, mask_email

log = get_logger(__name__)


async def fail_expired(db: Database, settings: NotificationsSettings) -> int:
    async with db.unit_of_work() as uow:
        expired = await deliveries.expire(
            uow, written_before=datetime.now(UTC) - settings.send_deadline
        )
        for row in expired:
            uow.emit(
                "notifications.email.failed",
                EmailOutcome(
                    delivery_id=row.id,
                    kind=row.kind,
                    recipient_masked=mask_email(row.recipient) or "",
                    booking_id=row.booking_id,
                    campaign_id=row.campaign_id,
                    event_id=row.event_id,
                    attempts=row.attempts,
                    error=f"deadline: {row.last_error or ''}"[:2000],
                ),
            )
            log.error("email.failed", delivery_id=str(row.id), kind=row.kind, reason="deadline")
        await uow.commit()
    return len(expired)


async def server_ready(pool: SmtpPool, hot: HotPath) -> bool:
    """True when the server takes connections; the first time after an outage, everything it
    deferred becomes due now."""
    if pool.reachable:
        return True
    if not await pool.probe():
        return False
    await hot.pull_forward()
    log.info("email.server_back")
    return True


async def send_due(
    *,
    db: Database,
    hot: HotPath,
    sender: Sender,
    pool: SmtpPool,
    mails: CampaignMails,
    settings: NotificationsSettings,
) -> Summary:
    total = Summary()
    await fail_expired(db, settings)
    if not await server_ready(pool, hot):
        return total
    before, limit = datetime.now(UTC) - settings.stranded_after, settings.retry_batch
    due = await hot.due(transactional=True, queued_before=before, limit=limit)
    if due:
        total.merge(await sender.send([i for i, _ in due], priority=TRANSACTIONAL))
    if not pool.reachable:
        return total
    due = await hot.due(transactional=False, queued_before=before, limit=limit)
    by_campaign: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for delivery_id, campaign_id in due:
        assert campaign_id is not None
        by_campaign[campaign_id].append(delivery_id)
    for campaign_id, ids in by_campaign.items():
        async with db.unit_of_work() as uow:
            campaign = await campaign_store.get(uow, campaign_id)
        if campaign is None:
            continue
        mail = await mails.get(db, campaign)
        total.merge(await sender.send(ids, priority=CAMPAIGN, compose=composer(mail)))
    if total.sent or total.deferred or total.failed:
        log.info("email.retry_pass", sent=total.sent, deferred=total.deferred, failed=total.failed)
    return total
