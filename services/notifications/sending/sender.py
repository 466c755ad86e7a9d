"""Sending a set of deliveries exactly once in effect: claim, hand to the pool, record.

Whatever asks (a work message, a campaign chunk, a retry, a redelivery after a crash) comes
through here with delivery ids. Rows already sent or parked are skipped by the claim; rows
another live process is sending are left to it; rows this process is sending right now are
awaited rather than sent again. The caller learns what is still outstanding and, if anything
is, lets its work message go to the retry queue.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.notifications.domain.outcomes import Outcome
from services.notifications.persistence import deliveries
from services.notifications.persistence.deliveries import Claimed
from services.notifications.persistence.hotpath import HotPath
from services.notifications.sending.identity import SenderIdentity
from services.notifications.sending.pool import TRANSACTIONAL, SmtpPool
from services.notifications.sending.recorder import OutcomeRecorder, Recorded
from shared.db import Database
from shared.logging import get_logger

log = get_logger(__name__)

Compose = Callable[[Claimed], bytes]


class SendingIncomplete(RuntimeError):
    """Some deliveries are not sent yet (the server was unreachable, or another process holds
    them): the work message should come back later through the retry queue."""


@dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    rejected: int = 0
    held_elsewhere: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.failed == 0 and self.held_elsewhere == 0

    def add(self, outcome: Outcome) -> None:
        if outcome.kind == "sent":
            self.sent += 1
        elif outcome.kind == "rejected":
            self.rejected += 1
        else:
            self.failed += 1
            if len(self.errors) < 3:
                self.errors.append(outcome.detail[:300])

    def merge(self, other: Summary) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.rejected += other.rejected
        self.held_elsewhere += other.held_elsewhere
        self.errors = (self.errors + other.errors)[:3]

    def raise_if_incomplete(self) -> None:
        if not self.complete:
            raise SendingIncomplete(
                f"{self.failed} failed, {self.held_elsewhere} held by another process"
                + (f": {self.errors[0]}" if self.errors else "")
            )


class Sender:
    def __init__(
        self,
        db: Database,
        identity: SenderIdentity,
        pool: SmtpPool,
        recorder: OutcomeRecorder,
        hot: HotPath,
    ) -> None:
        self._db = db
        self._hot = hot
        self._identity = identity
        self._pool = pool
        self._recorder = recorder
        # Deliveries this process is sending now -> their outcome once recorded.
        self._inflight: dict[uuid.UUID, asyncio.Future[Outcome]] = {}
        self._soon: set[asyncio.Task[None]] = set()

    def send_soon(self, ids: Sequence[uuid.UUID]) -> None:
        """Send just-committed transactional emails now, in the background. A failure is
        recorded with a work message that takes the email through the retry queues."""
        task = asyncio.create_task(self._send_soon(list(ids)), name="send-soon")
        self._soon.add(task)
        task.add_done_callback(self._soon.discard)

    async def _send_soon(self, ids: list[uuid.UUID]) -> None:
        try:
            await self.send(ids, priority=TRANSACTIONAL, handover=True)
        except Exception as exc:
            # The rows stay queued (or claimed by this live process); the sweeper hands them
            # to the work queue if nothing else does.
            log.warning("email.send_soon_failed", error=str(exc)[:300])

    async def drain(self, timeout: float) -> None:
        """Give the background sends a moment to finish (at shutdown)."""
        if self._soon:
            await asyncio.wait(set(self._soon), timeout=timeout)

    async def send(
        self,
        ids: Sequence[uuid.UUID],
        *,
        priority: int,
        compose: Compose | None = None,
        handover: bool = False,
    ) -> Summary:
        summary = Summary()
        mine = [self._inflight[i] for i in dict.fromkeys(ids) if i in self._inflight]
        wanted = [i for i in dict.fromkeys(ids) if i not in self._inflight]
        # Registered before the claim, so a second request in this process for the same rows
        # waits for this one instead of claiming them again.
        loop = asyncio.get_running_loop()
        recorded = {i: loop.create_future() for i in wanted}
        self._inflight.update(recorded)
        try:
            me = await self._identity.key()
            claimed = await self._claim(wanted, me)
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
                self._send_one(delivery, me, priority, compose, recorded[delivery.id], handover)
            )
            job.add_done_callback(lambda _, i=delivery.id: self._inflight.pop(i, None))
            jobs.append(job)
        for outcome in await asyncio.shield(asyncio.gather(*jobs)):
            summary.add(outcome)
        for outcome in await asyncio.gather(*mine):
            summary.add(outcome)
        unclaimed = set(wanted) - {c.id for c in claimed}
        if unclaimed:
            summary.held_elsewhere = await self._count_held(list(unclaimed))
        return summary

    def _release(self, recorded: dict[uuid.UUID, asyncio.Future[Outcome]]) -> None:
        """Deliveries this request will not send after all (not claimed, or the claim failed)."""
        for delivery_id, future in recorded.items():
            if not future.done():
                future.set_result(Outcome("failed", "not sent by this request"))
            self._inflight.pop(delivery_id, None)

    async def _claim(self, ids: list[uuid.UUID], me: int) -> list[Claimed]:
        return await self._hot.claim(ids, me=me) if ids else []

    async def _send_one(
        self,
        delivery: Claimed,
        me: int,
        priority: int,
        compose: Compose | None,
        recorded: asyncio.Future[Outcome],
        handover: bool,
    ) -> Outcome:
        """Send, then record at once: each 250 is committed within a round trip or so (the
        recorder groups whatever arrives together), not at the end of the batch."""
        try:
            raw = delivery.message if delivery.message is not None else _compose(compose, delivery)
        except Exception as exc:
            outcome = Outcome("failed", f"could not compose the email: {type(exc).__name__}: {exc}")
        else:
            outcome = await self._pool.submit(delivery.recipient, raw, priority=priority)
        try:
            await self._recorder.record(
                [Recorded(delivery, outcome, me, datetime.now(UTC), handover=handover)]
            )
        finally:
            # Whoever waits on this delivery learns the outcome even if recording failed
            # (the row then stays claimed by this process until it is retried).
            if not recorded.done():
                recorded.set_result(outcome)
        return outcome

    async def _count_held(self, ids: list[uuid.UUID]) -> int:
        async with self._db.unit_of_work() as uow:
            found = await deliveries.states(uow, ids)
        return sum(1 for state in found.values() if state == "sending")


def _compose(compose: Compose | None, delivery: Claimed) -> bytes:
    if compose is None:
        raise ValueError(f"delivery {delivery.id} has no stored message and no composer")
    return compose(delivery)
