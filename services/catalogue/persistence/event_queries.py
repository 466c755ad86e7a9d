"""Finding events: the public list, the staff list, and events that refer to a record."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from services.catalogue.domain.events import Event
from services.catalogue.persistence.events import COLUMNS, load
from services.catalogue.persistence.tables import event_audience_cohorts, event_people, events
from shared.db import UnitOfWork


async def list_public(
    uow: UnitOfWork,
    *,
    now: datetime,
    programme_id: uuid.UUID | None = None,
    kind: str | None = None,
    audience: str | None = None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Event]:
    """Published events: upcoming ones soonest first, then past ones latest first."""
    upcoming = events.c.ends_at >= now
    query = sa.select(*COLUMNS).where(events.c.status == "published")
    filters = {
        events.c.programme_id.__eq__: programme_id,
        events.c.kind.__eq__: kind,
        events.c.audience_kind.__eq__: audience,
        events.c.starts_at.__ge__: starts_from,
        events.c.starts_at.__lt__: starts_before,
    }
    for compare, value in filters.items():
        if value is not None:
            query = query.where(compare(value))
    query = query.order_by(
        sa.case((upcoming, 0), else_=1),
        sa.case((upcoming, events.c.starts_at)).asc(),
        events.c.starts_at.desc(),
        events.c.id,
    )
    return await load(uow, query.limit(limit).offset(offset))


async def list_staff(
    uow: UnitOfWork, *, status: str | None = None, programme_id: uuid.UUID | None = None
) -> list[Event]:
    query = sa.select(*COLUMNS)
    if status is not None:
        query = query.where(events.c.status == status)
    if programme_id is not None:
        query = query.where(events.c.programme_id == programme_id)
    return await load(uow, query.order_by(events.c.starts_at, events.c.id))


async def published_using(
    uow: UnitOfWork,
    *,
    venue_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
) -> list[Event]:
    """Published events showing this venue, person or programme, locked for a new version."""
    query = sa.select(*COLUMNS).where(events.c.status == "published")
    if venue_id is not None:
        query = query.where(events.c.venue_id == venue_id)
    if programme_id is not None:
        query = query.where(events.c.programme_id == programme_id)
    if person_id is not None:
        query = query.where(
            events.c.id.in_(
                sa.select(event_people.c.event_id).where(event_people.c.person_id == person_id)
            )
        )
    # Locked in id order, so two such edits never deadlock on the same events.
    return await load(uow, query.order_by(events.c.id).with_for_update())


def uses(
    *,
    venue_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    cohort_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
) -> sa.Select:
    """A query for the events referring to a record (for `records.exists`)."""
    if venue_id is not None:
        return sa.select(events.c.id).where(events.c.venue_id == venue_id)
    if person_id is not None:
        return sa.select(event_people.c.event_id).where(event_people.c.person_id == person_id)
    if cohort_id is not None:
        table = event_audience_cohorts
        return sa.select(table.c.event_id).where(table.c.cohort_id == cohort_id)
    return sa.select(events.c.id).where(events.c.programme_id == programme_id)


async def not_draft_after(uow: UnitOfWork, after: uuid.UUID | None, limit: int) -> list[Event]:
    """Every event consumers know of (published or cancelled), by id, one page after `after`."""
    query = sa.select(*COLUMNS).where(events.c.status != "draft")
    if after is not None:
        query = query.where(events.c.id > after)
    return await load(uow, query.order_by(events.c.id).limit(limit))
