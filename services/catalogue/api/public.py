"""Public routes: what a partner site's widget and the programme's pages show."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request, Response

from services.catalogue.api.caching import cached_json, not_modified, version_etag
from services.catalogue.api.schemas.events import EventOut
from services.catalogue.persistence import event_queries, programmes
from services.catalogue.persistence import events as store
from services.catalogue.persistence.context import context, contexts
from shared.db import UnitOfWork
from shared.errors import Conflict, Invalid, NotFound
from shared.web import DbDep, Responses

router = APIRouter(tags=["public"])
# Dates in filters are days in the programme's own time zone.
LOCAL = ZoneInfo("Europe/London")
_CACHED: Responses = {
    200: {"headers": {"ETag": {"schema": {"type": "string"}}}},
    304: {"description": "not modified since the ETag sent in If-None-Match"},
}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)


async def _programme_id(uow: UnitOfWork, programme: str | None) -> uuid.UUID | None:
    if programme is None:
        return None
    found = await programmes.find(uow, programme)
    if found is None:
        raise NotFound("no such programme", code="programme_not_found")
    return found.id


@router.get(
    "/events",
    response_model=list[EventOut],
    responses={**_CACHED, 404: {"description": "no such programme"}},
)
async def list_events(
    request: Request,
    db: DbDep,
    programme: Annotated[str | None, Query(max_length=80, description="id or slug")] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    audience: Literal["public", "cohorts", "invitation"] | None = None,
    from_: Annotated[date | None, Query(alias="from", description="starting on or after")] = None,
    to: Annotated[date | None, Query(description="starting on or before")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    """Published events, upcoming soonest first, then past ones; `audience=public` for the
    events anyone may book."""
    if from_ and to and to < from_:
        raise Invalid("to", "must not be before from")
    async with db.unit_of_work() as uow:
        found = await event_queries.list_public(
            uow,
            now=datetime.now(UTC),
            programme_id=await _programme_id(uow, programme),
            kind=kind,
            audience=audience,
            starts_from=_start_of(from_) if from_ else None,
            starts_before=_start_of(to + timedelta(days=1)) if to else None,
            limit=limit,
            offset=offset,
        )
        held = await contexts(uow, found)
    return cached_json(request, [EventOut.of(e, held[e.id]) for e in found])


@router.get(
    "/events/{id_or_slug}",
    response_model=EventOut,
    responses={
        **_CACHED,
        404: {"description": "no published event has this id or slug"},
        409: {"description": "two programmes use this slug: say which with ?programme="},
    },
)
async def get_event(
    id_or_slug: Annotated[str, Path(max_length=80)],
    request: Request,
    db: DbDep,
    programme: Annotated[str | None, Query(max_length=80, description="id or slug")] = None,
) -> Response:
    """One event that is or was public, by id or slug, with sessions, venue, people,
    options and resources. Two programmes may share a slug: name the programme then."""
    async with db.unit_of_work() as uow:
        found = await store.find_public(
            uow, id_or_slug, programme_id=await _programme_id(uow, programme)
        )
        if not found:
            raise NotFound("no such event", code="event_not_found")
        if len(found) > 1:
            raise Conflict(
                "several programmes have an event with this slug: add ?programme=",
                code="ambiguous_slug",
                event_ids=[e.id for e in found],
            )
        head = found[0]
        if head.status == "published":
            unchanged = not_modified(request, version_etag(head.id, head.version))
            if unchanged is not None:
                return unchanged
        event = await store.get(uow, head.id)
        held = await context(uow, event)
    # The tag follows the version just read, so the body and its tag always agree.
    etag = version_etag(event.id, event.version) if event.status == "published" else None
    return cached_json(request, EventOut.of(event, held), etag=etag)
