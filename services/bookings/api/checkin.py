"""Door check-in routes for the `checkin` role (and staff): today's sessions, a session's
register and counts, check in and undo (PUT and DELETE, idempotent by booking and session),
walk-ins, and the person behind a check-in code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from services.bookings.api import answers
from services.bookings.api import checkin_views as views
from services.bookings.api.checkin_schemas import (
    CheckinAnswer,
    DoorCounts,
    DoorRegister,
    TodayList,
    TokenPerson,
    WalkIn,
    WalkInAnswer,
)
from services.bookings.api.deps import IdempotencyKey, ProcessDep
from services.bookings.persistence import scopes
from services.bookings.usecases import checkin
from shared.auth import Principal, require_role
from shared.programme_scope import check_programme, programme_guard, visible
from shared.staff_actions import describe_staff_action
from shared.web import Responses

door_role = require_role("checkin", "staff")
DoorUser = Annotated[Principal, Depends(door_role)]
router = APIRouter(
    prefix="/staff/checkin",
    tags=["check-in"],
    dependencies=[Depends(door_role), programme_guard(scopes.LOOKUPS)],
)
_ERRORS: Responses = {
    401: {"description": "no valid token"},
    403: {"description": "not door staff"},
    404: {"description": "unknown event, session, booking or code, or outside the programmes"},
    409: {"description": "not checkable: cancelled, waiting, another event, not today (`code`)"},
    422: {"description": "a field is invalid; `detail` names it"},
    429: {"description": "too many code look-ups from this client: wait `Retry-After` seconds"},
}
Token = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
_SESSION = "/events/{event_id}/sessions/{session_id}"


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/today", response_model=TodayList, responses=_ERRORS)
async def today(process: ProcessDep) -> TodayList:
    """Events with a session the door checks in today, in each event's time zone."""
    found = await checkin.today(process.db, process.settings, _now())
    found = visible(found, lambda pair: pair[0].programme_id)
    return TodayList(
        date=_now().date(), events=[views.event(state, sessions) for state, sessions in found]
    )


@router.get(_SESSION + "/attendees", response_model=DoorRegister, responses=_ERRORS)
async def register(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    process: ProcessDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 50,
) -> DoorRegister:
    """A session's confirmed bookings by name, searched by name or organisation, each with
    its check-in; polled by the door phones to see each other's check-ins."""
    found = await checkin.register(process.db, event_id, session_id, search=q, limit=limit)
    tally = await checkin.counts(process.db, event_id, session_id)
    state = found.door.state
    return DoorRegister(
        event=views.event(state, [found.door.session]),
        session=views.session(found.door.session),
        counts=views.counts(tally),
        items=[views.attendee(state, booking, mark) for booking, mark in found.rows],
    )


@router.get(_SESSION + "/counts", response_model=DoorCounts, responses=_ERRORS)
async def counts(event_id: uuid.UUID, session_id: uuid.UUID, process: ProcessDep) -> DoorCounts:
    """Checked in / expected for the session, in all and per option."""
    return views.counts(await checkin.counts(process.db, event_id, session_id))


@router.put(_SESSION + "/checkins/{booking_id}", response_model=CheckinAnswer, responses=_ERRORS)
async def check_in(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    booking_id: uuid.UUID,
    process: ProcessDep,
    user: DoorUser,
) -> CheckinAnswer:
    """Check a confirmed booking in to the session; again, it changes nothing and says
    `already_checked_in` with the first time."""
    outcome = await checkin.check_in(
        process.db, process.settings, event_id, session_id, booking_id, by=user.subject,
        now=_now(),
    )  # fmt: skip
    return CheckinAnswer(
        result=outcome.result,
        attendee=views.attendee(outcome.counts.door.state, outcome.booking, outcome.mark),
        counts=views.counts(outcome.counts),
    )


@router.delete(_SESSION + "/checkins/{booking_id}", response_model=CheckinAnswer, responses=_ERRORS)
async def undo(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    booking_id: uuid.UUID,
    process: ProcessDep,
    user: DoorUser,
) -> CheckinAnswer:
    """Undo a check-in (a wrong tap); again, it changes nothing."""
    outcome = await checkin.undo(
        process.db, process.settings, event_id, session_id, booking_id, by=user.subject,
        now=_now(),
    )  # fmt: skip
    return CheckinAnswer(
        result=outcome.result,
        attendee=views.attendee(outcome.counts.door.state, outcome.booking, outcome.mark),
        counts=views.counts(outcome.counts),
    )


@router.post(
    _SESSION + "/walk-ins",
    status_code=status.HTTP_201_CREATED,
    response_model=WalkInAnswer,
    responses={**_ERRORS, 503: {"description": "too busy to decide in time; retry"}},
)
async def walk_in(
    event_id: uuid.UUID,
    session_id: uuid.UUID,
    body: WalkIn,
    process: ProcessDep,
    user: DoorUser,
    idempotency_key: IdempotencyKey = None,
) -> WalkInAnswer:
    """Book someone at the door (bookings decides, as always: confirmed, waiting, or refused
    with the reason) and check them in when they got a place."""
    now = _now()
    await checkin.require_open(process.db, process.settings, event_id, session_id, now=now)
    describe_staff_action(action="booking.walked_in", target_type="booking")
    request = answers.booking_request(
        process.settings, event_id, body, idempotency_key=idempotency_key, on_behalf=True
    )
    answer = answers.booking_answer(process.settings, await process.book(event_id, request))
    checked_in = False
    if answer.status == "confirmed":
        outcome = await checkin.check_in(
            process.db, process.settings, event_id, session_id, answer.booking_id,
            by=user.subject, now=now,
        )  # fmt: skip
        checked_in, tally = True, outcome.counts
    else:
        tally = await checkin.counts(process.db, event_id, session_id)
    process.availability.invalidate(event_id)
    return WalkInAnswer(
        booking_id=answer.booking_id,
        status=answer.status,
        waitlist_position=answer.waitlist_position,
        checked_in=checked_in,
        counts=views.counts(tally),
    )


@router.get("/tokens/{token}", response_model=TokenPerson, responses=_ERRORS)
async def resolve_token(token: Token, process: ProcessDep) -> TokenPerson:
    """The person a check-in code (the QR on their confirmation) names, and today's sessions
    of their event with their check-in; a forged code is 404."""
    found = await checkin.resolve(process.db, process.settings, token, now=_now())
    check_programme(found.state.programme_id)
    return views.token_person(found)
