"""The replica of catalogue events, applied by version: stale or repeated states change nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.bookings.persistence.tables import event_replicas
from shared.contracts import EventState
from shared.db import UnitOfWork
from shared.errors import NotFound


@dataclass(frozen=True)
class EventReplica:
    event_id: uuid.UUID
    version: int
    status: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    waitlist_enabled: bool
    confirmed: int
    waiting: int
    waitlist_seq: int


_COLUMNS = [event_replicas.c[name] for name in EventReplica.__dataclass_fields__]


async def apply_state(uow: UnitOfWork, state: EventState) -> bool:
    """Upsert the event if this state is newer than the one held; True if it was applied."""
    values = {
        "event_id": state.event_id,
        "version": state.version,
        "status": state.status,
        "title": state.title,
        "starts_at": state.starts_at,
        "ends_at": state.ends_at,
        "capacity": state.capacity,
        "waitlist_enabled": state.waitlist_enabled,
        "state": state.model_dump(mode="json"),
    }
    statement = pg_insert(event_replicas).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[event_replicas.c.event_id],
        set_={k: statement.excluded[k] for k in values if k != "event_id"}
        | {"updated_at": sa.func.now()},
        where=event_replicas.c.version < statement.excluded.version,
    ).returning(event_replicas.c.event_id)
    return (await uow.execute(statement)).first() is not None


async def get(uow: UnitOfWork, event_id: uuid.UUID, *, for_update: bool = False) -> EventReplica:
    query = sa.select(*_COLUMNS).where(event_replicas.c.event_id == event_id)
    if for_update:
        query = query.with_for_update()
    row = (await uow.execute(query)).first()
    if row is None:
        raise NotFound("no such event is open for booking", code="event_not_found")
    return EventReplica(**row._mapping)


async def count_new_booking(uow: UnitOfWork, event_id: uuid.UUID, status: str) -> int:
    """Bump the event's counters for a new booking; returns its waiting-list sequence number."""
    if status == "confirmed":
        await uow.execute(
            sa.update(event_replicas)
            .where(event_replicas.c.event_id == event_id)
            .values(confirmed=event_replicas.c.confirmed + 1)
        )
        return 0
    row = (
        await uow.execute(
            sa.update(event_replicas)
            .where(event_replicas.c.event_id == event_id)
            .values(
                waiting=event_replicas.c.waiting + 1,
                waitlist_seq=event_replicas.c.waitlist_seq + 1,
            )
            .returning(event_replicas.c.waitlist_seq)
        )
    ).one()
    return int(row.waitlist_seq)
