"""Staff routes for events: drafts, changes, and the lifecycle (publish, cancel, complete)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import status

from services.catalogue.api.deps import staff_router
from services.catalogue.api.schemas.events import (
    BookingCounts,
    CancelRequest,
    EventCreate,
    EventStaffOut,
    EventUpdate,
)
from services.catalogue.handlers import events as handlers
from services.catalogue.handlers.events import EventResult
from services.catalogue.persistence import event_queries, tally
from services.catalogue.persistence import events as store
from services.catalogue.persistence.context import context, contexts
from shared.programme_scope import check_programme, visible
from shared.web import DbDep

router = staff_router("/events", "events")


def _out(result: EventResult) -> EventStaffOut:
    return EventStaffOut.of(result.event, result.context, result.warnings)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_event(body: EventCreate, db: DbDep) -> EventStaffOut:
    """Create a draft event (title, capacity, and times or sessions are enough)."""
    check_programme(body.programme_id, hide=False)
    return _out(await handlers.create_event(db, body))


@router.get("")
async def list_events(
    db: DbDep,
    status: Literal["draft", "published", "cancelled", "completed"] | None = None,
    programme_id: uuid.UUID | None = None,
) -> list[EventStaffOut]:
    """Every event, drafts included, soonest first."""
    async with db.unit_of_work() as uow:
        found = await event_queries.list_staff(uow, status=status, programme_id=programme_id)
        found = visible(found, lambda e: e.programme_id)
        held = await contexts(uow, found)
    return [EventStaffOut.of(e, held[e.id]) for e in found]


@router.get("/{event_id}")
async def get_event(event_id: uuid.UUID, db: DbDep) -> EventStaffOut:
    """One event, in any state, with the bookings made for it as far as the catalogue has heard."""
    async with db.unit_of_work() as uow:
        event = await store.get(uow, event_id)
        counts = BookingCounts(**await tally.counts(uow, event_id))
        return EventStaffOut.of(event, await context(uow, event), booking_counts=counts)


@router.patch("/{event_id}")
async def update_event(event_id: uuid.UUID, body: EventUpdate, db: DbDep) -> EventStaffOut:
    """Change an event. Lists (sessions, options, people, resources) replace the old ones;
    parts keep their ids when sent with them. A change to a public event takes the next
    version and is published; `warnings` says what fewer places mean for bookings."""
    if "programme_id" in body.model_fields_set:
        check_programme(body.programme_id, hide=False)
    return _out(await handlers.update_event(db, event_id, body))


@router.delete("/{event_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_event(event_id: uuid.UUID, db: DbDep) -> None:
    """Delete a draft (a published event is cancelled instead)."""
    await handlers.delete_event(db, event_id)


@router.post("/{event_id}/publish")
async def publish_event(event_id: uuid.UUID, db: DbDep) -> EventStaffOut:
    """Publish a draft, which makes it bookable."""
    return _out(await handlers.publish_event(db, event_id))


@router.post("/{event_id}/cancel")
async def cancel_event(event_id: uuid.UUID, body: CancelRequest, db: DbDep) -> EventStaffOut:
    """Cancel a published event, with the reason everyone booked will be told."""
    return _out(await handlers.cancel_event(db, event_id, reason=body.reason))


@router.post("/{event_id}/complete")
async def complete_event(event_id: uuid.UUID, db: DbDep) -> EventStaffOut:
    """Mark a published event that has started as completed."""
    return _out(await handlers.complete_event(db, event_id))
