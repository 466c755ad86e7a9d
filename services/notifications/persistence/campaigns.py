"""Campaigns, their resolved recipients and their chunks of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.notifications.domain.campaigns import Campaign, Invitee
from services.notifications.persistence.suppressions import bounced_sql
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


async def search(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    event_id: uuid.UUID | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[Campaign]:
    """Newest first, filtered by whatever is given."""
    query = sa.select(*_COLUMNS).order_by(campaigns.c.created_at.desc(), campaigns.c.id)
    if status is not None:
        query = query.where(campaigns.c.status == status)
    if event_id is not None:
        query = query.where(campaigns.c.event_id == event_id)
    if kind is not None:
        query = query.where(campaigns.c.kind == kind)
    return [Campaign(**row._mapping) for row in await uow.execute(query.limit(limit))]


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


# Opt-outs, bounces and "I can't come" apply to a campaign in flight too: an invitee who
# opted out (invitations and follow-ups), bounced elsewhere, or declined (follow-ups) since
# launch is skipped when their chunk comes (persistence/campaign_counts.py counts them so).
_SENDABLE = sa.text(
    """
    SELECT r.email, r.name FROM campaign_recipients r
      JOIN campaigns c ON c.id = r.campaign_id
     WHERE r.campaign_id = :campaign_id AND r.seq BETWEEN :first AND :last
       AND NOT (c.kind <> 'announcement'
                AND EXISTS (SELECT 1 FROM opt_outs o WHERE o.email_key = lower(trim(r.email))))
       AND NOT (c.kind = 'follow_up'
                AND EXISTS (SELECT 1 FROM invitee_answers a
                             WHERE a.event_id = c.event_id
                               AND a.email_key = lower(trim(r.email))))
       AND NOT {bounced}
     ORDER BY r.seq
    """.format(bounced=bounced_sql("lower(trim(r.email))"))
)


async def recipients(
    uow: UnitOfWork, campaign_id: uuid.UUID, first: int, last: int
) -> list[Invitee]:
    """The invitees at positions [first, last] still to be written to."""
    rows = await uow.execute(_SENDABLE, {"campaign_id": campaign_id, "first": first, "last": last})
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
