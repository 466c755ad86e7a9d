"""Public routes: published events."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.catalogue.api.schemas import EventPublic
from services.catalogue.persistence import events as store
from shared.errors import NotFound
from shared.web import DbDep

router = APIRouter(tags=["public"])


@router.get("/events", response_model=list[EventPublic])
async def list_events(db: DbDep) -> list[EventPublic]:
    """Published events, soonest first."""
    async with db.unit_of_work() as uow:
        return [EventPublic.of(e) for e in await store.list_published(uow)]


@router.get(
    "/events/{event_id}",
    response_model=EventPublic,
    responses={404: {"description": "no published event has this id"}},
)
async def get_event(event_id: uuid.UUID, db: DbDep) -> EventPublic:
    """One published event."""
    async with db.unit_of_work() as uow:
        event = await store.get(uow, event_id)
    if event.status == "draft":
        raise NotFound("no such event", code="event_not_found")
    return EventPublic.of(event)
