"""The audit log: every staff action across the services and the console, one row each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.console.persistence.tables import audit_log
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Entry:
    action_id: uuid.UUID
    source: str
    actor: str
    actor_name: str | None
    action: str
    target_type: str
    target_id: str
    event_id: uuid.UUID | None
    programme_id: uuid.UUID | None
    summary: str
    correlation_id: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    event_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


async def record(uow: UnitOfWork, entry: Entry) -> bool:
    """Adds the entry once; False when it was recorded before (a redelivered message)."""
    done = await uow.execute(
        pg_insert(audit_log)
        .values(**vars(entry))
        .on_conflict_do_nothing(index_elements=["action_id"])
    )
    return bool(done.rowcount)


def _where(filters: Filters) -> list[Any]:
    c = audit_log.c
    clauses: list[Any] = []
    if filters.actor:
        clauses.append(c.actor == filters.actor)
    if filters.target_type:
        clauses.append(c.target_type == filters.target_type)
    if filters.target_id:
        clauses.append(c.target_id == filters.target_id)
    if filters.event_id:
        clauses.append(sa.or_(c.event_id == filters.event_id, c.target_id == str(filters.event_id)))
    if filters.since:
        clauses.append(c.occurred_at >= filters.since)
    if filters.until:
        clauses.append(c.occurred_at < filters.until)
    return clauses


async def search(uow: UnitOfWork, filters: Filters) -> tuple[list[Entry], int]:
    """A page of entries, newest first, and how many match in all."""
    where = _where(filters)
    query = (
        sa.select(*[audit_log.c[name] for name in Entry.__dataclass_fields__])
        .where(*where)
        .order_by(audit_log.c.occurred_at.desc(), audit_log.c.action_id)
        .limit(filters.limit)
        .offset(filters.offset)
    )
    rows = [Entry(**row._mapping) for row in await uow.execute(query)]
    total = (
        await uow.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where))
    ).scalar_one()
    return rows, int(total)


async def actors(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Everyone who has done something: (actor, the latest name they had)."""
    c = audit_log.c
    query = (
        sa.select(c.actor, sa.func.max(c.actor_name))
        .group_by(c.actor)
        .order_by(sa.func.max(c.actor_name), c.actor)
    )
    return [(row[0], row[1] or row[0]) for row in await uow.execute(query)]


async def target_types(uow: UnitOfWork) -> list[str]:
    query = sa.select(audit_log.c.target_type).distinct().order_by(audit_log.c.target_type)
    return [row[0] for row in await uow.execute(query)]
