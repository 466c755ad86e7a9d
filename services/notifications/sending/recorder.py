"""Records what became of each email, in group commits.

A 250 is written down as soon as possible after it arrives: the time between the server's
acceptance and our commit is the only window in which a crash can make an email go out twice
(SMTP has no way to ask "did you get it?"), so it is kept to one short database round trip.
Outcomes that arrive while a commit is under way are written together in the next one, so
under load a single UPDATE records hundreds of emails.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.outcomes import Outcome
from services.notifications.metrics import EMAILS
from services.notifications.persistence import outcomes
from services.notifications.persistence.deliveries import Claimed
from services.notifications.persistence.hotpath import HotPath
from shared.contracts import DeliveryQueued, EmailOutcome
from shared.db import Database, UnitOfWork
from shared.logging import background_task, get_logger, log_context, mask_email
from shared.messaging.transient import is_transient

# How each recorded outcome is counted on /metrics.
_OUTCOME = {"sent": "sent", "failed": "retry_later"}

log = get_logger(__name__)


@dataclass(frozen=True)
class Recorded:
    delivery: Claimed
    outcome: Outcome
    claimed_by: int
    at: datetime
    # A failed first attempt made outside the work queue: hand the email to the queue, so
    # its retries go through the retry queues like any other.
    handover: bool = False


def email_outcome(item: Recorded) -> EmailOutcome:
    d = item.delivery
    return EmailOutcome(
        delivery_id=d.id,
        kind=d.kind,
        recipient_masked=mask_email(d.recipient) or "",
        booking_id=d.booking_id,
        campaign_id=d.campaign_id,
        event_id=d.event_id,
        attempts=d.attempts,
        smtp_message_id=item.outcome.detail if item.outcome.kind == "sent" else None,
        error=None if item.outcome.kind == "sent" else item.outcome.detail,
    )


class OutcomeRecorder:
    def __init__(self, db: Database, hot: HotPath, *, linger: float = 0.0) -> None:
        self._db = db
        self._hot = hot
        # Under load, waiting a moment before each commit lets more outcomes share it.
        self._linger = linger
        self._pending: list[tuple[list[Recorded], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = background_task(self._run(), name="outcome-recorder")

    async def record(self, items: list[Recorded]) -> None:
        """Returns once these outcomes are committed."""
        if not items:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, future))
        self._wake.set()
        await future

    async def _run(self) -> None:
        failures = 0
        while True:
            await self._wake.wait()
            if self._linger:
                await asyncio.sleep(self._linger)
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                await self._write([item for items, _ in batch for item in items])
            except Exception as exc:
                if not is_transient(exc):
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                # The database is away: keep the outcomes and try again.
                failures += 1
                log.warning("outcomes.record_waiting", error=str(exc), failures=failures)
                self._pending[:0] = batch
                self._wake.set()
                await asyncio.sleep(min(0.2 * 2**failures, 5))
                continue
            failures = 0
            for items, _ in batch:
                for item in items:
                    EMAILS.labels(
                        item.delivery.kind, _OUTCOME.get(item.outcome.kind, "rejected")
                    ).inc()
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _write(self, items: list[Recorded]) -> None:
        if all(i.outcome.kind == "sent" and i.delivery.campaign_id is not None for i in items):
            # Campaign emails sent: nothing to announce one by one, so no outbox and no unit
            # of work, just the one UPDATE (the bulk of a campaign goes this way).
            await self._hot.mark_sent([(i.delivery.id, i.outcome.detail, i.at) for i in items])
            return
        async with self._db.unit_of_work() as uow:
            await outcomes.mark_sent(
                uow,
                [
                    (i.delivery.id, i.outcome.detail, i.at)
                    for i in items
                    if i.outcome.kind == "sent"
                ],
            )
            for item in items:
                await self._one(uow, item)
            await uow.commit()

    async def _one(self, uow: UnitOfWork, item: Recorded) -> None:
        d = item.delivery
        with log_context(correlation_id=d.correlation_id or None):
            fields = {
                "kind": d.kind,
                "delivery_id": str(d.id),
                "booking_id": str(d.booking_id) if d.booking_id else None,
                "campaign_id": str(d.campaign_id) if d.campaign_id else None,
                "recipient": mask_email(d.recipient),
                "attempts": d.attempts,
            }
            if item.outcome.kind == "sent":
                # Campaign emails are reported per chunk (campaign.progressed), not one by one.
                if d.campaign_id is None:
                    uow.emit("notifications.email.sent", email_outcome(item))
                    log.info("email.sent", **fields)
            elif item.outcome.kind == "failed":
                await outcomes.mark_failed(uow, d.id, item.outcome.detail, me=item.claimed_by)
                if item.handover:
                    uow.emit("notifications.delivery.queued", DeliveryQueued(delivery_id=d.id))
                log.warning("email.retry_later", error=item.outcome.detail[:300], **fields)
            elif await outcomes.mark_rejected(uow, d.id, item.outcome.detail, me=item.claimed_by):
                uow.emit("notifications.email.failed", email_outcome(item))
                log.warning("email.rejected", error=item.outcome.detail[:300], **fields)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for _, future in self._pending:
            if not future.done():
                future.set_exception(RuntimeError("the outcome recorder stopped"))
        self._pending = []
