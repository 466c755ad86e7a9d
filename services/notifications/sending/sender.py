"""Sending a set of deliveries exactly once in effect: claim, hand to the pool, record.

Whatever asks (a booking's first send, a campaign chunk, the retry pass, a redelivery after a
crash) comes through here with delivery ids. The claim takes only what is queued, deferred and
due, or held by a sender whose lease lapsed; it gives this request a fresh fencing token and a
lease. An email is started only while the lease leaves room for its transaction and its record
(`domain.deliveries.send_by`); after that another sender may take it over. Rows this process
is sending right now are awaited rather than sent again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from services.notifications.domain import deliveries as life_cycle
from services.notifications.domain.deliveries import Claimed
from services.notifications.domain.outcomes import Outcome
from services.notifications.persistence import deliveries
from services.notifications.persistence.hotpath import HotPath
from services.notifications.sending.pool import TRANSACTIONAL, SmtpPool
from services.notifications.sending.recorder import OutcomeRecorder, Recorded
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

Compose = Callable[[Claimed], bytes]


class SendingIncomplete(RuntimeError):
    """Some deliveries are held by another live sender: the work message should come back
    later, when that sender has finished or its lease has lapsed."""


@dataclass
class Summary:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    lapsed: int = 0
    held_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every email has had its attempt (deferred ones are the retry pass's now)."""
        return self.held_elsewhere == 0 and self.lapsed == 0

    def add(self, outcome: Outcome) -> None:
        if outcome.kind == "sent":
            self.sent += 1
        elif outcome.kind in ("permanent", "unsendable"):
            self.failed += 1
        elif outcome.kind == "lapsed":
            self.lapsed += 1
        else:
            self.deferred += 1
            if len(self.errors) < 3:
                self.errors.append(outcome.detail[:300])

    def merge(self, other: Summary) -> None:
        self.sent += other.sent
        self.deferred += other.deferred
        self.failed += other.failed
        self.lapsed += other.lapsed
        self.held_elsewhere += other.held_elsewhere
        self.errors = (self.errors + other.errors)[:3]

    def raise_if_incomplete(self) -> None:
        if not self.complete:
            raise SendingIncomplete(
                f"{self.held_elsewhere} held by another sender, {self.lapsed} not started"
            )


class Sender:
    def __init__(
        self,
        db: Database,
        pool: SmtpPool,
        recorder: OutcomeRecorder,
        hot: HotPath,
        *,
        lease: float,
    ) -> None:
        self._db = db
        self._hot = hot
        self._lease = lease
        self._pool = pool
        self._recorder = recorder
        # Deliveries this process is sending now -> their outcome once recorded.
        self._inflight: dict[uuid.UUID, asyncio.Future[Outcome]] = {}
        self._soon: set[asyncio.Task[None]] = set()
        # Sends of claimed rows (shielded from their callers, see `send`): shutdown waits for
        # them, and ends what is still running after its grace, so none outlives the process's
        # pool. A row whose send was ended stays claimed until its lease lapses, then retried.
        self._jobs: set[asyncio.Future[Outcome]] = set()

    def send_soon(self, ids: Sequence[uuid.UUID]) -> None:
        """Send just-committed transactional emails now, in the background. A failure is
        recorded as `deferred`, for the retry pass."""
        task = asyncio.create_task(self._send_soon(list(ids)), name="send-soon")
        self._soon.add(task)
        task.add_done_callback(self._soon.discard)

    def send_claimed_soon(self, delivery: Claimed, *, claimed_at: float) -> None:
        """Send now, in the background, a transactional email whose row was written already
        claimed by this process (handlers/confirmations.py), its lease taken at `claimed_at`
        (this process's monotonic clock, read before the statement that wrote it). As `send`
        does after its claim: registered as in flight, sent and recorded even if nobody
        waits, and a failure leaves the row to the retry pass once the lease has lapsed."""
        recorded = asyncio.get_running_loop().create_future()
        self._inflight[delivery.id] = recorded
        send_by = life_cycle.send_by(
            claimed_at, lease=self._lease, smtp_timeout=self._pool.config.timeout
        )
        job = asyncio.ensure_future(self._send_claimed(delivery, send_by, recorded))
        job.add_done_callback(partial(self._forget, delivery.id))
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def _send_claimed(
        self, delivery: Claimed, send_by: float, recorded: asyncio.Future[Outcome]
    ) -> Outcome:
        try:
            return await self._send_one(delivery, TRANSACTIONAL, send_by, None, recorded)
        except Exception as exc:
            log.warning("email.send_soon_failed", error=str(exc)[:300])
            return Outcome("lapsed", "not recorded by this process")

    async def _send_soon(self, ids: list[uuid.UUID]) -> None:
        try:
            await self.send(ids, priority=TRANSACTIONAL)
        except Exception as exc:
            # The rows stay queued (or claimed, until the lease lapses); the retry pass
            # sends them if nothing else does.
            log.warning("email.send_soon_failed", error=str(exc)[:300])

    async def drain(self, timeout: float) -> None:
        """Give the background sends a moment to finish (at shutdown), then end the rest."""
        running: set[asyncio.Future[Any]] = {*self._soon, *self._jobs}
        if not running:
            return
        _, pending = await asyncio.wait(running, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def send(
        self,
        ids: Sequence[uuid.UUID],
        *,
        priority: int,
        compose: Compose | None = None,
    ) -> Summary:
        summary = Summary()
        mine = [self._inflight[i] for i in dict.fromkeys(ids) if i in self._inflight]
        wanted = [i for i in dict.fromkeys(ids) if i not in self._inflight]
        # Registered before the claim, so a second request in this process for the same rows
        # waits for this one instead of claiming them again.
        loop = asyncio.get_running_loop()
        recorded = {i: loop.create_future() for i in wanted}
        self._inflight.update(recorded)
        token = uuid.uuid4()
        # Taken before the claim, so this sender's clock runs out before the database's.
        claimed_at = time.monotonic()
        send_by = life_cycle.send_by(
            claimed_at, lease=self._lease, smtp_timeout=self._pool.config.timeout
        )
        try:
            claimed = await self._claim(wanted, token)
        except BaseException:
            self._release(recorded)
            raise
        claimed_ids = {d.id for d in claimed}
        self._release({i: f for i, f in recorded.items() if i not in claimed_ids})
        # Once claimed, each email is sent and its outcome recorded even if this caller is
        # cancelled (a broker connection that drops cancels the consumers' handlers): else
        # the row would stay `sending` while its email went out, and the redelivered work
        # message would send it a second time.
        jobs = []
        for delivery in claimed:
            job = asyncio.ensure_future(
                self._send_one(delivery, priority, send_by, compose, recorded[delivery.id])
            )
            job.add_done_callback(partial(self._forget, delivery.id))
            self._jobs.add(job)
            job.add_done_callback(self._jobs.discard)
            jobs.append(job)
        sends = asyncio.gather(*jobs)
        # Read even when no one awaits it any more (the caller was cancelled and shutdown then
        # ended the sends): else it is logged as "exception was never retrieved".
        sends.add_done_callback(_read_outcome)
        for outcome in await asyncio.shield(sends):
            summary.add(outcome)
        for outcome in await asyncio.gather(*mine):
            summary.add(outcome)
        unclaimed = set(wanted) - {c.id for c in claimed}
        if unclaimed:
            summary.held_elsewhere = await self._count_held(list(unclaimed))
        return summary

    def _forget(self, delivery_id: uuid.UUID, _: object) -> None:
        self._inflight.pop(delivery_id, None)

    def _release(self, recorded: dict[uuid.UUID, asyncio.Future[Outcome]]) -> None:
        """Deliveries this request will not send after all (not claimed, or the claim failed)."""
        for delivery_id, future in recorded.items():
            if not future.done():
                future.set_result(Outcome("lapsed", "not sent by this request"))
            self._inflight.pop(delivery_id, None)

    async def _claim(self, ids: list[uuid.UUID], token: uuid.UUID) -> list[Claimed]:
        return await self._hot.claim(ids, token=token, lease=self._lease) if ids else []

    async def _send_one(
        self,
        delivery: Claimed,
        priority: int,
        send_by: float,
        compose: Compose | None,
        recorded: asyncio.Future[Outcome],
    ) -> Outcome:
        """Send, then record at once: each 250 is committed within a round trip or so (the
        recorder groups whatever arrives together), not at the end of the batch."""
        # Composed by the pool's worker just before its transaction (a failure to compose
        # comes back as `unsendable`).
        message = (
            delivery.message
            if delivery.message is not None
            else partial(_compose, compose, delivery)
        )
        outcome = await self._pool.submit(
            delivery.recipient, message, priority=priority, send_by=send_by
        )
        if outcome.kind == "lapsed":
            log.warning("email.claim_lapsed", delivery_id=str(delivery.id), kind=delivery.kind)
        try:
            await self._recorder.record([Recorded(delivery, outcome, datetime.now(UTC))])
        finally:
            # Whoever waits on this delivery learns the outcome even if recording failed
            # (the row then stays claimed by this process until it is retried).
            if not recorded.done():
                recorded.set_result(outcome)
        return outcome

    async def _count_held(self, ids: list[uuid.UUID]) -> int:
        async with self._db.unit_of_work() as uow:
            found = await deliveries.states(uow, ids)
        return sum(1 for state in found.values() if state == life_cycle.State.SENDING)


def _read_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _compose(compose: Compose | None, delivery: Claimed) -> bytes:
    if compose is None:
        raise ValueError(f"delivery {delivery.id} has no stored message and no composer")
    return compose(delivery)
