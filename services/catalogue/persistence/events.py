"""Loading and saving whole events (the row and its parts) inside a unit of work.

Parts are few per event, so saving replaces them all; their ids are kept by the domain, so
replacing rows never changes what consumers see.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from services.catalogue.domain.events import (
    Appearance,
    Audience,
    Event,
    Option,
    Resource,
    Session,
)
from services.catalogue.domain.slugs import looks_like_uuid
from services.catalogue.persistence.tables import (
    event_audience_cohorts,
    event_expectations,
    event_options,
    event_people,
    event_resources,
    event_sessions,
    events,
    expectations,
)
from shared.db import UnitOfWork
from shared.errors import NotFound

_PARTS = ("sessions", "options", "audience", "people", "resources", "expectations")
_SCALARS = [f.name for f in fields(Event) if f.name not in _PARTS]
COLUMNS = [events.c[name] for name in _SCALARS] + [events.c.audience_kind]


async def _children(uow: UnitOfWork, query: sa.Select, ids: list[uuid.UUID]) -> dict[Any, list]:
    found: dict[Any, list] = defaultdict(list)
    if ids:
        for row in await uow.execute(query):
            found[row.event_id].append(row)
    return found


async def _parts(uow: UnitOfWork, ids: list[uuid.UUID]) -> dict[str, dict[Any, list]]:
    """Each kind of part of these events, by event id, in position order."""

    def of(table: sa.Table, *cols: Any) -> sa.Select:
        return (
            sa.select(table.c.event_id, *cols)
            .where(table.c.event_id.in_(ids))
            .order_by(table.c.position)
        )

    s, o, r = event_sessions, event_options, event_resources
    a, p = event_audience_cohorts, event_people
    tags = of(event_expectations, expectations.c.code).join(
        expectations, expectations.c.id == event_expectations.c.expectation_id
    )
    queries = {
        "sessions": of(s, s.c.id, s.c.starts_at, s.c.ends_at, s.c.title),
        "options": of(
            o,
            o.c.id,
            o.c.name,
            o.c.capacity,
            o.c.description,
            o.c.group_id,
            o.c.group_name,
            o.c.group_required,
        ),
        "resources": of(r, r.c.id, r.c.title, r.c.url, r.c.kind),
        "cohorts": of(a, a.c.cohort_id),
        "people": of(p, p.c.person_id, p.c.role, p.c.day),
        "expectations": tags,
    }
    return {name: await _children(uow, query, ids) for name, query in queries.items()}


def _assemble(row: Any, parts: dict[str, dict[Any, list]]) -> Event:
    mine = {name: found[row.id] for name, found in parts.items()}
    return Event(
        **{name: row._mapping[name] for name in _SCALARS},
        sessions=tuple(Session(x.id, x.starts_at, x.ends_at, x.title) for x in mine["sessions"]),
        options=tuple(Option(*x[1:]) for x in mine["options"]),
        audience=Audience(row.audience_kind, tuple(x.cohort_id for x in mine["cohorts"])),
        people=tuple(Appearance(x.person_id, x.role, x.day) for x in mine["people"]),
        resources=tuple(Resource(x.id, x.title, x.url, x.kind) for x in mine["resources"]),
        expectations=tuple(x.code for x in mine["expectations"]),
    )


async def load(uow: UnitOfWork, query: sa.Select) -> list[Event]:
    """The whole events a query over `COLUMNS` finds, in its order."""
    rows = (await uow.execute(query)).all()
    parts = await _parts(uow, [row.id for row in rows])
    return [_assemble(row, parts) for row in rows]


async def get(uow: UnitOfWork, event_id: uuid.UUID, *, for_update: bool = False) -> Event:
    query = sa.select(*COLUMNS).where(events.c.id == event_id)
    found = await load(uow, query.with_for_update() if for_update else query)
    if not found:
        raise NotFound("no such event", code="event_not_found")
    return found[0]


@dataclass(frozen=True)
class Head:
    """Just enough of an event to decide whether a cached copy is still good."""

    id: uuid.UUID
    version: int
    status: str


async def find_public(
    uow: UnitOfWork, id_or_slug: str, *, programme_id: uuid.UUID | None = None
) -> list[Head]:
    """Non-draft events with this id, or this slug (one per programme): one small query."""
    query = sa.select(events.c.id, events.c.version, events.c.status).where(
        events.c.status != "draft"
    )
    if looks_like_uuid(id_or_slug):
        query = query.where(events.c.id == uuid.UUID(id_or_slug))
    else:
        query = query.where(events.c.slug == id_or_slug)
    if programme_id is not None:
        query = query.where(events.c.programme_id == programme_id)
    rows = await uow.execute(query.order_by(events.c.starts_at))
    return [Head(row.id, row.version, row.status) for row in rows]


async def slug_taken(
    uow: UnitOfWork,
    programme_id: uuid.UUID | None,
    slug: str,
    *,
    other_than: uuid.UUID | None = None,
) -> bool:
    query = sa.select(events.c.id).where(
        events.c.slug == slug, events.c.programme_id.is_not_distinct_from(programme_id)
    )
    if other_than is not None:
        query = query.where(events.c.id != other_than)
    return (await uow.execute(query)).first() is not None


def _row(event: Event) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in _SCALARS}
    values["audience_kind"] = event.audience.kind
    return values


async def add(uow: UnitOfWork, event: Event) -> None:
    await uow.execute(sa.insert(events).values(**_row(event)))
    await _insert_parts(uow, event)


async def save(uow: UnitOfWork, event: Event) -> None:
    values = _row(event)
    values.pop("id")
    await uow.execute(
        sa.update(events).where(events.c.id == event.id).values(**values, updated_at=sa.func.now())
    )
    for table in _PART_TABLES:
        await uow.execute(sa.delete(table).where(table.c.event_id == event.id))
    await _insert_parts(uow, event)


async def delete(uow: UnitOfWork, event_id: uuid.UUID) -> None:
    await uow.execute(sa.delete(events).where(events.c.id == event_id))


_PART_TABLES = (
    event_sessions,
    event_options,
    event_audience_cohorts,
    event_people,
    event_resources,
    event_expectations,
)


async def _insert_parts(uow: UnitOfWork, event: Event) -> None:
    tag_ids = await _expectation_ids(uow, event.programme_id, event.expectations)
    parts: list[tuple[sa.Table, Iterable[dict[str, Any]]]] = [
        (event_sessions, (vars(s) for s in event.sessions)),
        (event_options, (vars(o) for o in event.options)),
        (event_audience_cohorts, ({"cohort_id": c} for c in event.audience.cohort_ids)),
        (event_people, (vars(p) for p in event.people)),
        (event_resources, (vars(r) for r in event.resources)),
        (event_expectations, ({"expectation_id": tag_ids[c]} for c in event.expectations)),
    ]
    for table, items in parts:
        rows = [
            {**item, "event_id": event.id, "position": position}
            for position, item in enumerate(items)
        ]
        if rows:
            await uow.execute(sa.insert(table), rows)


async def _expectation_ids(
    uow: UnitOfWork, programme_id: uuid.UUID | None, codes: Iterable[str]
) -> dict[str, uuid.UUID]:
    wanted = set(codes)
    if not wanted or programme_id is None:
        return {}
    rows = await uow.execute(
        sa.select(expectations.c.code, expectations.c.id).where(
            expectations.c.programme_id == programme_id, expectations.c.code.in_(wanted)
        )
    )
    return {row.code: row.id for row in rows}


async def set_version(uow: UnitOfWork, event_id: uuid.UUID, version: int) -> None:
    await uow.execute(
        sa.update(events)
        .where(events.c.id == event_id)
        .values(version=version, updated_at=sa.func.now())
    )
