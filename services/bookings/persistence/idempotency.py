"""First answers to Idempotency-Keys, written in the same transaction as the booking."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.domain.batch import StoredAnswer
from services.bookings.persistence.tables import idempotency_keys
from shared.db import Database, UnitOfWork


class KeyTakenMeanwhile(RuntimeError):
    """Another transaction (for another event) stored one of these keys after we looked."""


async def stored(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, StoredAnswer]:
    keys = list(keys)
    if not keys:
        return {}
    rows = (
        await uow.execute(
            sa.select(
                idempotency_keys.c.key, idempotency_keys.c.fingerprint, idempotency_keys.c.answer
            ).where(idempotency_keys.c.key.in_(keys))
        )
    ).all()
    return {r.key: StoredAnswer(bytes(r.fingerprint), dict(r.answer)) for r in rows}


async def add_many(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Store first answers; if a key turned up meanwhile, the whole batch is decided again."""
    if not rows:
        return
    inserted = (
        await uow.execute(
            pg_insert(idempotency_keys)
            .values(list(rows))
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
    ).all()
    if len(inserted) != len(rows):
        raise KeyTakenMeanwhile("an idempotency key was stored by a concurrent request")


def row(
    key: str, fingerprint: bytes, event_id: uuid.UUID, answer: dict[str, Any]
) -> dict[str, Any]:
    return {"key": key, "fingerprint": fingerprint, "event_id": event_id, "answer": answer}


async def purge_expired(db: Database, ttl: timedelta) -> int:
    async with db.unit_of_work() as uow:
        result = await uow.execute(
            sa.delete(idempotency_keys).where(
                idempotency_keys.c.created_at < datetime.now(UTC) - ttl
            )
        )
        await uow.commit()
    return int(result.rowcount or 0)
