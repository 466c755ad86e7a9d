"""This process's identity as a sender: a key held as a PostgreSQL advisory lock.

The lock lives exactly as long as the process's database session, so when a process dies
(even by SIGKILL) PostgreSQL drops it at once, and the deliveries that process had claimed can
be claimed by another one straight away, with no lease to wait out. A process that only lost
its connection gets a new key: its old claims then count as abandoned, like a dead process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notifications.persistence.deliveries import LOCK_NAMESPACE
from shared.logging import background_task, get_logger, log_context

log = get_logger(__name__)


class SenderIdentity:
    def __init__(self, engine: AsyncEngine, *, check_interval: float = 2.0) -> None:
        self._engine = engine
        self._check_interval = check_interval
        self._conn: AsyncConnection | None = None
        self._key: int | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def key(self) -> int:
        """The key to claim with; takes the lock first if this process does not hold one."""
        if self._key is not None:
            return self._key
        async with self._lock:
            while self._key is None:
                await self._acquire()
        return self._key

    async def _acquire(self) -> None:
        conn = await self._engine.connect()
        try:
            key = secrets.randbelow(2**31 - 2) + 1
            got = await conn.scalar(
                sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                {"ns": LOCK_NAMESPACE, "key": key},
            )
            await conn.commit()
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return
        self._conn, self._key = conn, key
        with log_context(correlation_id=None, message_id=None):
            log.info("sender.identity_acquired", sender_key=key)
        if self._task is None:
            self._task = background_task(self._watch(), name="sender-identity")

    async def _watch(self) -> None:
        """Notice a lost session: its claims are no longer protected, so take a new key."""
        while True:
            await asyncio.sleep(self._check_interval)
            conn = self._conn
            if conn is None:
                continue
            try:
                await conn.execute(sa.text("SELECT 1"))
                await conn.commit()
            except Exception as exc:
                log.warning("sender.identity_lost", sender_key=self._key, error=str(exc))
                self._key, self._conn = None, None
                with contextlib.suppress(Exception):
                    await conn.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn, self._key = None, None
