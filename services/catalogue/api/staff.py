"""Staff routes (JWT with the `staff` role)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from services.catalogue import handlers
from services.catalogue.api.schemas import EventCreate, EventPublic
from shared.auth import require_role
from shared.web import DbDep

router = APIRouter(prefix="/staff", tags=["staff"], dependencies=[Depends(require_role("staff"))])


@router.post("/events", status_code=status.HTTP_201_CREATED, response_model=EventPublic)
async def create_event(body: EventCreate, db: DbDep) -> EventPublic:
    """Create a draft event."""
    return EventPublic.of(await handlers.create_event(db, body))


@router.post("/events/{event_id}/publish", response_model=EventPublic)
async def publish_event(event_id: uuid.UUID, db: DbDep) -> EventPublic:
    """Publish a draft event, which makes it bookable."""
    return EventPublic.of(await handlers.publish_event(db, event_id))
