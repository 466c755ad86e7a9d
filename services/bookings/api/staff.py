"""Staff routes: an event's bookings, counts and attendance; cancelling, changing and
promoting."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from services.bookings.api import answers, exports
from services.bookings.api.deps import IdempotencyKey, ProcessDep
from services.bookings.api.schemas import BookingAnswer
from services.bookings.api.staff_schemas import (
    AttendanceMark,
    BookingList,
    EventCounts,
    StaffBooking,
    StaffBookingCreate,
    StaffCancel,
    StaffChange,
)
from services.bookings.persistence import scopes
from services.bookings.persistence.staff import Filters
from services.bookings.usecases import manage, reads, staff
from shared.auth import Principal, require_role
from shared.programme_scope import programme_guard
from shared.web import Responses

staff_only = require_role("staff")
StaffUser = Annotated[Principal, Depends(staff_only)]
router = APIRouter(
    prefix="/staff",
    tags=["staff"],
    dependencies=[Depends(staff_only), programme_guard(scopes.LOOKUPS)],
)

_AUTH: Responses = {
    401: {"description": "no valid token"},
    403: {"description": "not staff"},
}
_ERRORS: Responses = {
    **_AUTH,
    404: {"description": "unknown event or booking, or outside the token's programmes"},
    409: {"description": "not in a state that allows this, or no room"},
    422: {"description": "a field is invalid; `detail` names it"},
    503: {"description": "too busy to decide in time; retry"},
}


async def _filters(
    status: Literal["confirmed", "waitlisted", "cancelled"] | None = None,
    option_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Filters:
    return Filters(status=status, option_id=option_id, search=q, limit=limit, offset=offset)


FiltersDep = Annotated[Filters, Depends(_filters)]


@router.get("/events/{event_id}/bookings", response_model=BookingList, responses=_ERRORS)
async def list_bookings(
    event_id: uuid.UUID, filters: FiltersDep, process: ProcessDep
) -> BookingList:
    """An event's bookings, oldest first; filter by status or option, search name, email or
    organisation."""
    listed = await staff.listing(process.db, event_id, filters)
    return BookingList(
        items=exports.staff_bookings(listed), limit=filters.limit, offset=filters.offset
    )


@router.get(
    "/events/{event_id}/bookings.csv",
    response_class=Response,
    responses={
        **_ERRORS,
        200: {"content": {"text/csv": {}}, "description": "a header row, then one row per booking"},
    },
)
async def export_bookings(event_id: uuid.UUID, process: ProcessDep) -> Response:
    """Every booking of the event as CSV, for the register and the caterers."""
    listed = await staff.listing(process.db, event_id, Filters(limit=1_000_000))
    return Response(
        exports.to_csv(listed),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="bookings-{event_id}.csv"'},
    )


@router.get("/events/{event_id}/waiting-list", response_model=BookingList, responses=_ERRORS)
async def waiting_list(event_id: uuid.UUID, process: ProcessDep) -> BookingList:
    """Who waits, in order: after the cut-off staff promote from here by hand."""
    listed = await staff.listing(process.db, event_id, Filters(status="waitlisted", limit=100_000))
    items = sorted(exports.staff_bookings(listed), key=lambda b: b.waitlist_position or 0)
    return BookingList(items=items, limit=len(items), offset=0)


@router.get("/events/{event_id}/counts", response_model=EventCounts, responses=_ERRORS)
async def event_counts(event_id: uuid.UUID, process: ProcessDep) -> EventCounts:
    """Confirmed, waiting, cancelled and attended, per event, option and session."""
    summary = await staff.summary(process.db, process.settings, event_id)
    return exports.event_counts(event_id, summary)


@router.post(
    "/events/{event_id}/bookings",
    status_code=status.HTTP_201_CREATED,
    response_model=BookingAnswer,
    responses=_ERRORS,
)
async def add_booking(
    event_id: uuid.UUID,
    body: StaffBookingCreate,
    process: ProcessDep,
    idempotency_key: IdempotencyKey = None,
) -> BookingAnswer:
    """Book on someone's behalf: any audience, any time, but never beyond capacity."""
    request = answers.booking_request(
        process.settings, event_id, body, idempotency_key=idempotency_key, on_behalf=True
    )
    return answers.booking_answer(process.settings, await process.book(event_id, request))


@router.get("/bookings/{booking_id}", response_model=StaffBooking, responses=_ERRORS)
async def get_booking(booking_id: uuid.UUID, process: ProcessDep) -> StaffBooking:
    """One booking with its attendance."""
    view = await reads.booking_view(process.db, booking_id)
    return await exports.one_booking(process.db, view.booking)


@router.post("/bookings/{booking_id}/cancel", response_model=StaffBooking, responses=_ERRORS)
async def cancel_booking(
    booking_id: uuid.UUID, process: ProcessDep, body: StaffCancel | None = None
) -> StaffBooking:
    """Cancel a booking for the person; the freed place promotes the next one waiting."""
    reason = body.reason if body else ""
    booking = await manage.cancel(
        process.db, process.settings, booking_id, by="staff", reason=reason
    )
    process.availability.invalidate(booking.event_id)
    return await exports.one_booking(process.db, booking)


@router.post("/bookings/{booking_id}/change", response_model=StaffBooking, responses=_ERRORS)
async def change_booking(
    booking_id: uuid.UUID, body: StaffChange, process: ProcessDep
) -> StaffBooking:
    """Move a booking to another option for the person (the dinner instead of the walk, say):
    the same change as the manage link, so the new option must have room."""
    changes = manage.Changes(choices=body.choices)
    if "option_id" in body.model_fields_set:
        changes = manage.Changes(option_id=body.option_id, choices=body.choices)
    booking = await manage.change(process.db, process.settings, booking_id, changes, by="staff")
    process.availability.invalidate(booking.event_id)
    return await exports.one_booking(process.db, booking)


@router.post("/bookings/{booking_id}/promote", response_model=StaffBooking, responses=_ERRORS)
async def promote_booking(booking_id: uuid.UUID, process: ProcessDep) -> StaffBooking:
    """Give a waiting person a free place by hand (after the automatic cut-off, say)."""
    booking = await manage.promote_by_hand(process.db, process.settings, booking_id)
    process.availability.invalidate(booking.event_id)
    return await exports.one_booking(process.db, booking)


@router.put("/bookings/{booking_id}/attendance", response_model=StaffBooking, responses=_ERRORS)
async def mark_attendance(
    booking_id: uuid.UUID, body: AttendanceMark, process: ProcessDep, user: StaffUser
) -> StaffBooking:
    """Mark attended or no-show for one session (day) of the event."""
    booking = await staff.mark_attendance(
        process.db, booking_id, session_id=body.session_id, status=body.status, by=user.subject
    )
    return await exports.one_booking(process.db, booking)
