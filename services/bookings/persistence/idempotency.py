"""Idempotency-Keys: their first answers are written with the booking (persistence/batch.py);
here, what to do when two transactions race for one key, and forgetting old keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from services.bookings.persistence.tables import idempotency_keys
from shared.db import Database


class KeyTakenMeanwhile(RuntimeError):
    """Another transaction (for another event) stored one of these keys after we looked."""


async def purge_expired(db: Database, ttl: timedelta) -> int:
    async with db.unit_of_work() as uow:
        result = await uow.execute(
            sa.delete(idempotency_keys).where(
                idempotency_keys.c.created_at < datetime.now(UTC) - ttl
            )
        )
        await uow.commit()
    return int(result.rowcount or 0)
