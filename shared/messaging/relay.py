"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several processes relay one outbox without
publishing a row twice in the usual case; a crash after the broker's ack and before the mark
publishes that row again, which idempotent consumers absorb. A commit that wrote outbox rows
wakes the relay at once (no polling delay on the happy path), or after a `linger` that lets
the next commits join the batch; the poll only picks up rows left by another process or a
crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shared.db import Database
from shared.logging import describe_error, get_logger, log_context
from shared.messaging.publisher import Outgoing, Publisher
from shared.messaging.schema import outbox_table as outbox
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

log = get_logger(__name__)


# The relay's statements (asyncpg). The ids as one array parameter: the same prepared
# statement whatever the number of rows.
_CLAIM = """
    SELECT id, message_id, routing_key, body, correlation_id FROM outbox
     WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
_DELETE = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"
_MARK = """
    UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])
"""
_FAILED = """
    UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])
"""


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        *,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        retention: float = 0.0,
        linger: float = 0.0,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = timedelta(seconds=retention)
        self._linger = linger
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_gauges = 0.0
        self._last_purge = time.monotonic()
        db.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                while await self.publish_batch() == self._batch_size:
                    pass
                await self._housekeeping()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("outbox.relay_failed", error=describe_error(exc), failures=failures)
                await asyncio.sleep(min(0.2 * 2**failures, 5))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
            if self._linger and self._wakeup.is_set():
                # Woken by a commit: the next few commits join its batch.
                await asyncio.sleep(self._linger)
            self._wakeup.clear()

    async def publish_batch(self) -> int:
        """Publish up to one batch of unpublished rows; returns how many were confirmed."""
        # On the driver connection: through SQLAlchemy the claim, the delete and the commit
        # cost notifications about 0.25 ms of CPU per email at 100 bookings/s (batches of a
        # few rows), more than the publish itself.
        async with self._db.driver_connection() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            outgoing = [
                Outgoing(
                    row["routing_key"], row["body"], str(row["message_id"]), row["correlation_id"]
                )
                for row in rows
            ]
            results: list[BaseException | None]
            try:
                results = await self._publisher.publish_many(outgoing)
            except Exception as exc:
                # Nothing was confirmed: every row stays unpublished and says why.
                results = [exc] * len(rows)
            confirmed = [
                row
                for row, result in zip(rows, results, strict=True)
                if not isinstance(result, BaseException)
            ]
            failed = [
                (row, result)
                for row, result in zip(rows, results, strict=True)
                if isinstance(result, BaseException)
            ]
            if confirmed:
                # Without a retention, gone once the broker has it. Marking it published
                # writes a second version of every row (a new tuple: `published_at` is in the
                # unpublished index), kept with the first until the purge: in the
                # 100,000-person rush the outbox outgrew PostgreSQL's buffers and each
                # booking's statements cost 40 % more (issue 19's probe), and each message's
                # personal data stayed for no reader.
                await conn.execute(
                    _MARK if self._retention else _DELETE, [row["id"] for row in confirmed]
                )
            # Usually one reason for the whole batch (broker gone, no confirm in time): one
            # statement per distinct reason, not one per row.
            by_reason: dict[str, list[int]] = {}
            for row, error in failed:
                by_reason.setdefault(str(error)[:1000], []).append(row["id"])
            for reason, ids in by_reason.items():
                await conn.execute(_FAILED, ids, reason)
        for row in confirmed:
            with log_context(
                correlation_id=row["correlation_id"], message_id=str(row["message_id"])
            ):
                log.info("outbox.published", routing_key=row["routing_key"])
        if failed:
            raise RuntimeError(f"{len(failed)} outbox messages not confirmed: {failed[0][1]!r}")
        return len(confirmed)

    async def _housekeeping(self) -> None:
        """Every few seconds the backlog gauges; every ten minutes, forget rows published more than
        the retention ago."""
        now = time.monotonic()
        if now - self._last_gauges < 5:
            return
        self._last_gauges = now
        purge = now - self._last_purge > 600
        async with self._db.engine.begin() as conn:
            backlog, oldest = (
                await conn.execute(
                    sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
                        outbox.c.published_at.is_(None)
                    )
                )
            ).one()
            if purge:
                self._last_purge = now
                await conn.execute(
                    sa.delete(outbox).where(
                        outbox.c.published_at < datetime.now(UTC) - self._retention
                    )
                )
        OUTBOX_BACKLOG.set(backlog)
        OUTBOX_OLDEST_AGE.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0)
