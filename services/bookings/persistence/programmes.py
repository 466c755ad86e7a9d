"""Programmes as bookings knows them: through the replicated events that name them. A
programme's page lists its upcoming published events from here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from services.bookings.persistence.tables import event_replicas
from shared.db import UnitOfWork

_STATE = event_replicas.c.state


@dataclass(frozen=True)
class ProgrammeRef:
    programme_id: uuid.UUID
    name: str
    slug: str


def _names(ref: str) -> sa.ColumnElement[bool]:
    try:
        return _STATE["programme_id"].astext == str(uuid.UUID(ref))
    except ValueError:
        return _STATE["programme_slug"].astext == ref


async def find(uow: UnitOfWork, ref: str) -> ProgrammeRef | None:
    """The programme an id or slug names, as its most recently updated event describes it."""
    query = (
        sa.select(
            _STATE["programme_id"].astext,
            _STATE["programme_name"].astext,
            _STATE["programme_slug"].astext,
        )
        .where(_names(ref))
        .order_by(event_replicas.c.updated_at.desc())
        .limit(1)
    )
    row = (await uow.execute(query)).first()
    if row is None or not row[0]:
        return None
    return ProgrammeRef(uuid.UUID(row[0]), row[1] or "", row[2] or "")


async def upcoming(
    uow: UnitOfWork, programme_id: uuid.UUID, now: datetime, limit: int
) -> list[uuid.UUID]:
    """Its published events that have not ended, soonest first."""
    query = (
        sa.select(event_replicas.c.event_id)
        .where(
            _STATE["programme_id"].astext == str(programme_id),
            event_replicas.c.status == "published",
            event_replicas.c.ends_at > now,
        )
        .order_by(event_replicas.c.starts_at, event_replicas.c.event_id)
        .limit(limit)
    )
    return list((await uow.execute(query)).scalars())


async def event_by_slug(uow: UnitOfWork, programme_id: uuid.UUID, slug: str) -> uuid.UUID | None:
    query = (
        sa.select(event_replicas.c.event_id)
        .where(
            _STATE["programme_id"].astext == str(programme_id),
            _STATE["slug"].astext == slug,
        )
        .order_by(
            (event_replicas.c.status == "published").desc(), event_replicas.c.starts_at.desc()
        )
        .limit(1)
    )
    return (await uow.execute(query)).scalar_one_or_none()
