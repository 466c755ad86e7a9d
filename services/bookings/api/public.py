"""Public routes the booking widget and the manage page call."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from structlog.contextvars import bind_contextvars

from services.bookings.api import answers, views
from services.bookings.api.calendar import calendar_url
from services.bookings.api.deps import (
    IdempotencyKey,
    ManagedBookingId,
    PartnerKey,
    ProcessDep,
    partner_id,
)
from services.bookings.api.schemas import (
    BookingAnswer,
    BookingChange,
    BookingCreate,
    EventAvailability,
    ManagedBooking,
)
from services.bookings.process import BookingsProcess
from services.bookings.usecases import invitations, manage, reads
from shared.web import Responses

router = APIRouter(prefix="/public", tags=["public"])

_BAD_INPUT: Responses = {
    400: {"description": "the body is not JSON"},
    422: {"description": "a field is missing or invalid; `detail` names it"},
}
_BOOKING_ERRORS: Responses = {
    **_BAD_INPUT,
    403: {"description": "not on the event's cohort rosters, or invitation only"},
    404: {"description": "unknown event"},
    409: {
        "description": "full, outside the booking window (the window is in the answer), or "
        "already booked (the manage link is re-sent)"
    },
    503: {"description": "too busy to decide in time; retry (the same Idempotency-Key is safe)"},
}
_MANAGE_ERRORS: Responses = {
    **_BAD_INPUT,
    404: {"description": "no booking has this token"},
    409: {"description": "already cancelled, the event has started, or the option is full"},
    503: {"description": "too busy to decide in time; retry"},
}


@router.get(
    "/events/{event_id}",
    response_model=EventAvailability,
    responses={404: {"description": "unknown event"}, 422: _BAD_INPUT[422]},
)
async def get_event(event_id: uuid.UUID, request: Request) -> Response:
    """An event's bookable facts: places left overall and per option, the window, the audience."""
    # The widget's hot read path: cached serialised answer, no dependency to solve.
    process: BookingsProcess = request.app.state.bookings
    body = process.availability.get(event_id)
    if body is None:
        body = await process.loads.load(event_id, lambda: _availability(process, event_id))
    return Response(body, media_type="application/json")


async def _availability(process: BookingsProcess, event_id: uuid.UUID) -> bytes:
    state, places = await reads.event_state(process.db, event_id)
    body = views.event_availability(state, places).model_dump_json().encode()
    process.availability.put(event_id, body)
    return body


@router.post(
    "/events/{event_id}/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingAnswer,
    responses=_BOOKING_ERRORS,
)
async def create_booking(
    event_id: uuid.UUID,
    body: BookingCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
    partner_key: PartnerKey = None,
    invitation: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Book a place: confirmed while places remain, else a place on the waiting list."""
    # Under a rush this is served by the hot lane (api/hot_booking.py), which calls `book` too.
    process: BookingsProcess = request.app.state.bookings
    answer = await book(process, event_id, body, invitation, idempotency_key, partner_key)
    return Response(answer, status_code=201, media_type="application/json")


async def book(
    process: BookingsProcess,
    event_id: uuid.UUID,
    body: BookingCreate,
    invitation: str | None,
    idempotency_key: str | None,
    partner_key: str | None,
) -> bytes:
    """The booking's 201 body, for a request already parsed."""
    booking = answers.booking_request(
        process.settings,
        event_id,
        body,
        invitation=body.invitation or invitation,
        idempotency_key=idempotency_key,
        partner_id=await partner_id(process, partner_key),
    )
    if booking.invited_by_campaign is not None:
        await invitations.check_campaign(process.db, booking.invited_by_campaign)
    answer = answers.booking_answer(process.settings, await process.book(event_id, booking))
    # The request's own log line then names the booking: one line links it to the request.
    bind_contextvars(booking_id=str(answer.booking_id), event_id=str(event_id))
    return answer.model_dump_json().encode()


async def _view(process: ProcessDep, booking_id: uuid.UUID) -> ManagedBooking:
    view = await reads.booking_view(process.db, booking_id)
    return views.managed_booking(
        view.booking,
        facts=view.facts,
        state=view.state,
        choices=view.choices,
        position=view.waitlist_position,
        ics_url=calendar_url(process.settings, booking_id),
    )


@router.get(
    "/bookings/{token}",
    response_model=ManagedBooking,
    responses={404: _MANAGE_ERRORS[404]},
)
async def get_booking(booking_id: ManagedBookingId, process: ProcessDep) -> ManagedBooking:
    """The booking a manage link names, with its place on the waiting list if waiting."""
    return await _view(process, booking_id)


@router.post("/bookings/{token}/cancel", response_model=ManagedBooking, responses=_MANAGE_ERRORS)
async def cancel_booking(booking_id: ManagedBookingId, process: ProcessDep) -> ManagedBooking:
    """Cancel: the place goes to the first person waiting for it, who is told."""
    booking = await manage.cancel(process.db, process.settings, booking_id, by="attendee")
    process.availability.invalidate(booking.event_id)
    return await _view(process, booking_id)


@router.patch("/bookings/{token}", response_model=ManagedBooking, responses=_MANAGE_ERRORS)
async def change_booking(
    booking_id: ManagedBookingId, body: BookingChange, process: ProcessDep
) -> ManagedBooking:
    """Change the choice of some option groups (only into an option with a free place; the
    other groups keep theirs) or the booker's details."""
    sent = body.model_fields_set
    details = {
        name: getattr(body, name)
        for name in sent - {"option_id", "choices"}
        if getattr(body, name) is not None or name == "sector"
    }
    changes = manage.Changes(choices=body.choices, details=details)
    if "option_id" in sent:
        changes = manage.Changes(option_id=body.option_id, choices=body.choices, details=details)
    booking = await manage.change(process.db, process.settings, booking_id, changes)
    process.availability.invalidate(booking.event_id)
    return await _view(process, booking_id)
