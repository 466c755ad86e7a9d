"""Which programme a campaign, a delivery or an event belongs to, read from the replicated
event state (the catalogue's `EventState` carries `programme_id`), for programme-scoped staff
tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from fastapi import Request

from services.notifications.persistence.tables import campaigns, deliveries, events
from shared.db import UnitOfWork

_PROGRAMME = events.c.state["programme_id"].astext


def _uuid(text: str | None) -> uuid.UUID | None:
    return uuid.UUID(text) if text else None


async def _first(request: Request, query: sa.Select) -> tuple[bool, uuid.UUID | None]:
    async with request.app.state.runtime.db.unit_of_work() as uow:
        row = (await uow.execute(query)).first()
    return (False, None) if row is None else (True, _uuid(row[0]))


async def of_campaign(request: Request, campaign_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    joined = campaigns.outerjoin(events, events.c.event_id == campaigns.c.event_id)
    query = sa.select(_PROGRAMME).select_from(joined).where(campaigns.c.id == campaign_id)
    return await _first(request, query)


async def of_delivery(request: Request, delivery_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    joined = deliveries.outerjoin(events, events.c.event_id == deliveries.c.event_id)
    query = sa.select(_PROGRAMME).select_from(joined).where(deliveries.c.id == delivery_id)
    return await _first(request, query)


async def programme_of_event(uow: UnitOfWork, event_id: uuid.UUID) -> uuid.UUID | None:
    row = (await uow.execute(sa.select(_PROGRAMME).where(events.c.event_id == event_id))).first()
    return _uuid(row[0]) if row else None


async def programmes_of_events(
    uow: UnitOfWork, event_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, uuid.UUID | None]:
    wanted = {e for e in event_ids if e is not None}
    if not wanted:
        return {}
    rows = await uow.execute(
        sa.select(events.c.event_id, _PROGRAMME).where(events.c.event_id.in_(wanted))
    )
    return {event_id: _uuid(programme) for event_id, programme in rows}


LOOKUPS = {"campaign_id": of_campaign, "delivery_id": of_delivery}
