"""Campaigns, their resolved recipients and their chunks of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.domain.campaigns import Campaign, Invitee
from services.notifications.persistence.tables import (
    campaign_chunks,
    campaign_recipients,
    campaigns,
)
from shared.db import UnitOfWork

_COLUMNS = [campaigns.c[name] for name in Campaign.__dataclass_fields__]


async def add(uow: UnitOfWork, **values: Any) -> None:
    await uow.execute(sa.insert(campaigns).values(**values))


async def get(
    uow: UnitOfWork, campaign_id: uuid.UUID, *, for_update: bool = False
) -> Campaign | None:
    query = sa.select(*_COLUMNS).where(campaigns.c.id == campaign_id)
    if for_update:
        query = query.with_for_update()
    row = (await uow.execute(query)).first()
    return Campaign(**row._mapping) if row else None


async def latest(uow: UnitOfWork, limit: int) -> list[Campaign]:
    rows = await uow.execute(
        sa.select(*_COLUMNS).order_by(campaigns.c.created_at.desc()).limit(limit)
    )
    return [Campaign(**row._mapping) for row in rows]


async def update(uow: UnitOfWork, campaign_id: uuid.UUID, **values: Any) -> None:
    await uow.execute(sa.update(campaigns).where(campaigns.c.id == campaign_id).values(**values))


async def due_scheduled(uow: UnitOfWork, now: datetime, limit: int = 5) -> list[uuid.UUID]:
    """Scheduled campaigns whose time has come, locked; another process skips them."""
    rows = await uow.execute(
        sa.select(campaigns.c.id)
        .where(campaigns.c.status == "scheduled", campaigns.c.send_at <= now)
        .order_by(campaigns.c.send_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [row.id for row in rows]


async def add_recipients(
    uow: UnitOfWork, campaign_id: uuid.UUID, invitees: Sequence[Invitee]
) -> None:
    rows = [
        {"campaign_id": campaign_id, "seq": seq, "email": inv.email, "name": inv.name}
        for seq, inv in enumerate(invitees)
    ]
    for start in range(0, len(rows), 5000):
        await uow.execute(sa.insert(campaign_recipients), rows[start : start + 5000])


async def recipients(
    uow: UnitOfWork, campaign_id: uuid.UUID, first: int, last: int
) -> list[Invitee]:
    rows = await uow.execute(
        sa.select(campaign_recipients.c.email, campaign_recipients.c.name)
        .where(
            campaign_recipients.c.campaign_id == campaign_id,
            campaign_recipients.c.seq.between(first, last),
        )
        .order_by(campaign_recipients.c.seq)
    )
    return [Invitee(row.email, row.name) for row in rows]


async def add_chunks(
    uow: UnitOfWork, campaign_id: uuid.UUID, ranges: Sequence[tuple[int, int]]
) -> None:
    if ranges:
        await uow.execute(
            sa.insert(campaign_chunks),
            [
                {"campaign_id": campaign_id, "chunk": n, "first_seq": first, "last_seq": last}
                for n, (first, last) in enumerate(ranges)
            ],
        )


async def chunk(
    uow: UnitOfWork, campaign_id: uuid.UUID, number: int
) -> tuple[int, int, str] | None:
    row = (
        await uow.execute(
            sa.select(
                campaign_chunks.c.first_seq, campaign_chunks.c.last_seq, campaign_chunks.c.state
            ).where(campaign_chunks.c.campaign_id == campaign_id, campaign_chunks.c.chunk == number)
        )
    ).first()
    return (row.first_seq, row.last_seq, row.state) if row else None


async def set_chunk_state(uow: UnitOfWork, campaign_id: uuid.UUID, number: int, state: str) -> None:
    await uow.execute(
        sa.update(campaign_chunks)
        .where(campaign_chunks.c.campaign_id == campaign_id, campaign_chunks.c.chunk == number)
        .values(state=state)
    )


async def pending_chunks(uow: UnitOfWork, campaign_id: uuid.UUID) -> list[int]:
    rows = await uow.execute(
        sa.select(campaign_chunks.c.chunk)
        .where(campaign_chunks.c.campaign_id == campaign_id, campaign_chunks.c.state == "pending")
        .order_by(campaign_chunks.c.chunk)
    )
    return [row.chunk for row in rows]


async def cancel_pending_chunks(uow: UnitOfWork, campaign_id: uuid.UUID) -> None:
    await uow.execute(
        sa.update(campaign_chunks)
        .where(campaign_chunks.c.campaign_id == campaign_id, campaign_chunks.c.state == "pending")
        .values(state="cancelled")
    )
