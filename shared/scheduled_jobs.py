"""A job that several replicas of a service run on a timer, done by one of them per period.

The same claim notifications' senders use for emails (a fenced claim with a lease, see
services/notifications/persistence/deliveries.py), on a row per job: a replica runs the job
only if it moved the row from due to claimed (`UPDATE ... WHERE due AND lease lapsed`, one
winner under the row lock); it writes the next due time only with its own claim token, so a
replica whose lease lapsed mid-run cannot move the schedule of the one that took over. A
replica that dies mid-run leaves a lease that lapses, and the next pass runs the job again
(each job is written to be safe to repeat). `now` is a parameter, so tests inject the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared.db import Database
from shared.logging import describe_error, get_logger

log = get_logger(__name__)

jobs_metadata = sa.MetaData()

job_runs = sa.Table(
    "job_runs",
    jobs_metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("claim_token", UUID(as_uuid=True)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("next_due_at", sa.DateTime(timezone=True)),
    sa.Column("last_run_at", sa.DateTime(timezone=True)),
    sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
)


def create_job_runs_table(op: Any) -> None:
    """Called from a service's migration."""
    jobs_metadata.create_all(op.get_bind())


def drop_job_runs_table(op: Any) -> None:
    jobs_metadata.drop_all(op.get_bind())


Clock = Callable[[], datetime]
Work = Callable[[datetime], Awaitable[object]]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def claim(db: Database, job: str, *, now: datetime, lease: timedelta) -> uuid.UUID | None:
    """A claim token if this caller is the one to run `job` now, else None."""
    token = uuid.uuid4()
    async with db.engine.begin() as conn:
        await conn.execute(pg_insert(job_runs).values(job=job).on_conflict_do_nothing())
        row = (
            await conn.execute(
                sa.update(job_runs)
                .where(
                    job_runs.c.job == job,
                    sa.or_(job_runs.c.next_due_at.is_(None), job_runs.c.next_due_at <= now),
                    sa.or_(job_runs.c.lease_until.is_(None), job_runs.c.lease_until < now),
                )
                .values(claim_token=token, lease_until=now + lease)
                .returning(job_runs.c.job)
            )
        ).first()
    return token if row else None


async def finish(
    db: Database, job: str, token: uuid.UUID, *, now: datetime, every: timedelta
) -> bool:
    """Record the run and when the next is due, only under this caller's own claim."""
    async with db.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.update(job_runs)
                .where(job_runs.c.job == job, job_runs.c.claim_token == token)
                .values(
                    claim_token=None,
                    lease_until=None,
                    last_run_at=now,
                    next_due_at=now + every,
                    runs=job_runs.c.runs + 1,
                )
                .returning(job_runs.c.job)
            )
        ).first()
    return row is not None


async def run_if_due(
    db: Database,
    job: str,
    work: Work,
    *,
    every: timedelta,
    lease: timedelta = timedelta(minutes=10),
    clock: Clock = utc_now,
) -> bool:
    """Run `work(now)` if this replica wins the claim for this period; True if it ran."""
    now = clock()
    token = await claim(db, job, now=now, lease=lease)
    if token is None:
        return False
    await work(now)
    await finish(db, job, token, now=clock(), every=every)
    return True


class PeriodicJob:
    """Tries `run_if_due` every `poll` seconds in the background of a service process."""

    def __init__(
        self, db: Database, job: str, work: Work, *, every: timedelta, poll: float
    ) -> None:
        self._db = db
        self._job = job
        self._work = work
        self._every = every
        self._poll = poll
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"job-{self._job}")

    async def _run(self) -> None:
        while True:
            try:
                await run_if_due(self._db, self._job, self._work, every=self._every)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job.pass_failed", job=self._job, error=describe_error(exc)[:300])
            await asyncio.sleep(self._poll)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
