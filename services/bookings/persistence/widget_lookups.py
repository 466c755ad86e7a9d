"""Lookups the embedded widget needs besides the booking tables: an event by its slug (the
catalogue's state carries it) and whether an origin belongs to any active partner."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from services.bookings.persistence.tables import event_replicas, partners
from shared.db import UnitOfWork


async def event_id_by_slug(uow: UnitOfWork, slug: str) -> uuid.UUID | None:
    """The event answering to a slug; if several ever do, a published one, then the latest."""
    # Read from the replicated state rather than a column of its own: the replica holds a
    # few hundred events and each answer is cached per process, so a scan costs nothing.
    published_first = (event_replicas.c.status == "published").desc()
    query = (
        sa.select(event_replicas.c.event_id)
        .where(event_replicas.c.state["slug"].astext == slug)
        .order_by(published_first, event_replicas.c.starts_at.desc())
        .limit(1)
    )
    return (await uow.execute(query)).scalar_one_or_none()


async def active_origins(uow: UnitOfWork) -> list[str]:
    """Every origin some active partner lists (a preflight carries no key to check against)."""
    origins = sa.func.unnest(partners.c.allowed_origins)
    query = sa.select(origins).where(partners.c.active).distinct()
    return list((await uow.execute(query)).scalars())
