"""Public routes the booking widget calls."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from services.bookings import handlers
from services.bookings.api.schemas import BookingAnswer, BookingCreate, EventAvailability
from services.bookings.domain.capacity import remaining
from services.bookings.persistence import replica
from shared.web import DbDep

router = APIRouter(prefix="/public", tags=["public"])

_ERRORS = {
    404: {"description": "unknown event"},
    409: {"description": "full, closed or already booked"},
}


@router.get("/events/{event_id}", response_model=EventAvailability, responses=_ERRORS)
async def get_event(event_id: uuid.UUID, db: DbDep) -> EventAvailability:
    """An event's bookable facts and the places left."""
    async with db.unit_of_work() as uow:
        event = await replica.get(uow, event_id)
    return EventAvailability(
        event_id=event.event_id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        capacity=event.capacity,
        remaining=remaining(event.capacity, event.confirmed),
        waitlist_enabled=event.waitlist_enabled,
        status=event.status,
    )


@router.post(
    "/events/{event_id}/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingAnswer,
    responses=_ERRORS,
)
async def create_booking(
    event_id: uuid.UUID, body: BookingCreate, db: DbDep, request: Request
) -> BookingAnswer:
    """Book a place: confirmed while places remain, else a place on the waiting list."""
    booked = await handlers.book(
        db, event_id, body, base_url=request.app.state.settings.public_base_url
    )
    return BookingAnswer(
        booking_id=booked.booking.id,
        status=booked.decision.status,
        waitlist_position=booked.decision.waitlist_position,
        manage_token=booked.manage_token,
    )
