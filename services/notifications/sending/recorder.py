"""Records what became of each email, in group commits.

A 250 is written down as soon as possible after it arrives: the time between the server's
acceptance and our commit is the only window in which a crash can make an email go out twice
(SMTP has no way to ask "did you get it?"), so it is kept to one short database round trip.
Outcomes that arrive while a commit is under way are written together in the next one, so
under load a single UPDATE records hundreds of emails.

Every write is fenced by the claim token: if this sender's lease lapsed and another sender
took the email over, the write matches nothing and is logged (`email.claim_lost`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.notifications.domain import deliveries as life_cycle
from services.notifications.domain.deliveries import Claimed, RetryPolicy, State
from services.notifications.domain.outcomes import Outcome
from services.notifications.metrics import CLAIMS_LOST, EMAILS, RECORD_SECONDS
from services.notifications.persistence import outcomes
from services.notifications.persistence.hotpath import HotPath
from shared.contracts import EmailOutcome, Envelope, new_envelope
from shared.db import Database, UnitOfWork
from shared.logging import background_task, get_logger, log_context, mask_email
from shared.messaging.transient import is_transient

log = get_logger(__name__)


@dataclass(frozen=True)
class Recorded:
    delivery: Claimed
    outcome: Outcome
    at: datetime
    arrived: float = field(default_factory=time.monotonic)


def email_outcome(item: Recorded, reason: str | None = None) -> EmailOutcome:
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
        error=None if item.outcome.kind == "sent" else f"{reason}: {item.outcome.detail}",
    )


def _fields(d: Claimed) -> dict[str, object]:
    return {
        "kind": d.kind,
        "delivery_id": str(d.id),
        "booking_id": str(d.booking_id) if d.booking_id else None,
        "campaign_id": str(d.campaign_id) if d.campaign_id else None,
        "recipient": mask_email(d.recipient),
        "attempts": d.attempts,
    }


def _claim_lost(item: Recorded) -> None:
    CLAIMS_LOST.labels(item.outcome.kind).inc()
    with log_context(correlation_id=item.delivery.correlation_id or None):
        log.error("email.claim_lost", outcome=item.outcome.kind, **_fields(item.delivery))


class OutcomeRecorder:
    def __init__(
        self, db: Database, hot: HotPath, policy: RetryPolicy, *, linger: float = 0.0
    ) -> None:
        self._db = db
        self._hot = hot
        self._policy = policy
        # Under load, waiting a moment before each commit lets more outcomes share it.
        self._linger = linger
        self._pending: list[tuple[list[Recorded], asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = background_task(self._run(), name="outcome-recorder")

    async def record(self, items: list[Recorded]) -> None:
        """Returns once these outcomes are committed (or refused by the fence)."""
        items = [i for i in items if i.outcome.kind != "lapsed"]
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
                # The database is away: keep the outcomes and try again (the fence decides,
                # once it is back, whether they are still ours to write).
                failures += 1
                log.warning("outcomes.record_waiting", error=str(exc)[:300], failures=failures)
                self._pending[:0] = batch
                self._wake.set()
                await asyncio.sleep(min(0.2 * 2**failures, 5))
                continue
            failures = 0
            now = time.monotonic()
            for items, _ in batch:
                for item in items:
                    if item.outcome.kind == "sent":
                        RECORD_SECONDS.observe(now - item.arrived)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _write(self, items: list[Recorded]) -> None:
        sent = [(i.delivery.id, i.outcome.detail, i.at, i.delivery.claim_token) for i in items]
        if all(i.outcome.kind == "sent" and i.delivery.campaign_id is not None for i in items):
            # Campaign emails sent: nothing to announce one by one, so no outbox and no unit
            # of work, just the one UPDATE (the bulk of a campaign goes this way).
            recorded = await self._hot.mark_sent(sent)
            self._count(items, recorded)
            return
        if all(i.outcome.kind == "sent" and i.delivery.campaign_id is None for i in items):
            # Transactional emails sent (every confirmation): each is announced, in the same
            # statement that records it, on the hot path.
            announced = [(i.delivery.id, self._announcement(i)) for i in items]
            recorded = await self._hot.mark_sent_announced(sent, announced)
            if recorded:
                self._db.outbox_committed()
            for item in items:
                if item.delivery.id in recorded:
                    self._log_sent(item)
            self._count(items, recorded)
            return
        async with self._db.unit_of_work() as uow:
            recorded = await outcomes.mark_sent(
                uow, [s for s, i in zip(sent, items, strict=True) if i.outcome.kind == "sent"]
            )
            for item in items:
                if item.outcome.kind == "sent":
                    self._sent(uow, item, item.delivery.id in recorded)
                else:
                    await self._not_sent(uow, item)
            await uow.commit()
        self._count([i for i in items if i.outcome.kind == "sent"], recorded)

    @staticmethod
    def _count(sent: list[Recorded], recorded: set[uuid.UUID]) -> None:
        for item in sent:
            if item.delivery.id in recorded:
                EMAILS.labels(item.delivery.kind, "sent").inc()
            else:
                _claim_lost(item)

    def _sent(self, uow: UnitOfWork, item: Recorded, recorded: bool) -> None:
        # Campaign emails are reported per chunk (campaign.progressed), not one by one.
        if recorded and item.delivery.campaign_id is None:
            uow.emit("notifications.email.sent", email_outcome(item))
            self._log_sent(item)

    def _announcement(self, item: Recorded) -> Envelope:
        """`notifications.email.sent` for one transactional email, as `uow.emit` makes it."""
        return new_envelope(
            "notifications.email.sent", email_outcome(item), producer=self._db.producer
        )

    @staticmethod
    def _log_sent(item: Recorded) -> None:
        d = item.delivery
        with log_context(correlation_id=d.correlation_id or None):
            log.info("email.sent", **_fields(d))

    async def _not_sent(self, uow: UnitOfWork, item: Recorded) -> None:
        d = item.delivery
        decision = life_cycle.after_attempt(
            item.outcome,
            attempts=d.attempts,
            created_at=d.created_at,
            now=item.at,
            policy=self._policy,
        )
        if not await outcomes.apply(uow, d.id, d.claim_token, decision, item.outcome.detail):
            _claim_lost(item)
            return
        EMAILS.labels(d.kind, decision.state.value).inc()
        with log_context(correlation_id=d.correlation_id or None):
            fields = {**_fields(d), "reason": decision.reason, "error": item.outcome.detail[:300]}
            if decision.state is State.FAILED:
                uow.emit("notifications.email.failed", email_outcome(item, decision.reason))
                log.warning("email.failed", **fields)
            else:
                log.warning("email.deferred", next_at=str(decision.next_attempt_at), **fields)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for _, future in self._pending:
            if not future.done():
                future.set_exception(RuntimeError("the outcome recorder stopped"))
        self._pending = []
