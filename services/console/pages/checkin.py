"""Check-in at the door, phone first: pick today's event and session, search as you type,
one tap to check in or undo, counts per option, walk-ins.

Every action is a plain form (POST, then 303 back to the same search), so it works without
JavaScript; `static/checkin.js` sends the same forms with `Accept: application/json` from its
offline queue and gets the service's answer as JSON instead of a redirect."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from services.console.auth.web import CurrentStaff, console_router, settings_of
from services.console.clients.base import ServiceRefused, ServiceUnavailable
from services.console.clients.checkin import CheckinClient
from services.console.clients.tokens import token_for
from services.console.domain import roles
from services.console.pages.common import form_of, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.CHECKIN)
Id = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]
Search = Annotated[str, Query(max_length=200)]
WALK_IN_FIELDS = ("name", "email", "organisation", "option_id")
# What a result says, chosen by code: nothing typed is echoed back.
RESULTS = {
    "checked_in": ("ok", "Checked in"),
    "already_checked_in": ("warn", "Already checked in"),
    "undone": ("ok", "Check-in undone"),
    "was_not_checked_in": ("warn", "Was not checked in"),
    "walked_in": ("ok", "Booked and checked in"),
}
PROBLEMS = {
    "booking_cancelled": "This booking was cancelled: not checked in.",
    "not_confirmed": "This person is on the waiting list, not booked: not checked in.",
    "other_event": "This booking is for another event: not checked in.",
    "not_today": "Check-in for this session opens on its day.",
    "session_over": "This session is over: correct the register on the attendees page.",
    "booking_not_found": "No such booking.",
    "token_not_found": "This check-in code is not valid.",
    "event_cancelled": "This event is cancelled.",
}


async def checkin_client(request: Request, staff: CurrentStaff) -> CheckinClient:
    settings = settings_of(request)
    token = token_for(settings, staff.account)
    return CheckinClient("bookings", settings.bookings_url, request.app.state.http, token)


Door = Annotated[CheckinClient, Depends(checkin_client)]


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def refusal(exc: Exception) -> JSONResponse:
    """A service's answer for the page's script: its reason and code, or "unavailable" (the
    script keeps the item queued and tries again)."""
    if isinstance(exc, ServiceRefused):
        status = exc.status if exc.status in (404, 409, 422) else 400
        return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=status)
    return JSONResponse({"detail": "bookings is unavailable", "code": "unavailable"}, 503)


def door_url(event_id: str, session_id: str, **query: str) -> str:
    kept = {k: v for k, v in query.items() if v}
    return f"/checkin/{event_id}/{session_id}" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/checkin")
async def today(request: Request, door: Door) -> Response:
    """Today's events and sessions: the door picks one."""
    found = await panel(door.today())
    return render(request, "checkin_today.html", title="Check-in", today=found)


@router.get("/checkin/{event_id}/{session_id}")
async def door_page(
    request: Request,
    event_id: Id,
    session_id: Id,
    door: Door,
    q: Search = "",
    result: Annotated[str, Query(max_length=40)] = "",
    last: Annotated[str, Query(max_length=36)] = "",
    problem: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The door: counts in the header, search by name or organisation, check in or undo."""
    register = await door.register(event_id, session_id, q)
    return _door(request, register, q=q, result=result, last=last, problem=problem)


def _door(
    request: Request,
    register: dict[str, Any],
    *,
    q: str = "",
    result: str = "",
    last: str = "",
    problem: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    event, session = register["event"], register["session"]
    person = next((p for p in register["items"] if p["booking_id"] == last), None)
    return render(
        request,
        "checkin_door.html",
        status_code=status_code,
        title=f"Check-in: {event['title']}",
        event=event,
        session=session,
        register=register,
        q=q,
        result=RESULTS.get(result),
        person=person,
        problem=PROBLEMS.get(problem, "Refused: not checked in." if problem else ""),
        errors=errors or {},
        values=values or {},
        option_choices=[
            (o["option_id"], o["name"]) for o in register["counts"]["options"] if o["option_id"]
        ],
    )


@router.get("/checkin/{event_id}/{session_id}/register.json")
async def register_json(event_id: Id, session_id: Id, door: Door, q: Search = "") -> Response:
    """The register for the page's script: search as you type, and the polling that shows
    other phones' check-ins."""
    try:
        return JSONResponse(await door.register(event_id, session_id, q))
    except (ServiceRefused, ServiceUnavailable) as exc:
        return refusal(exc)


async def _act(
    request: Request, event_id: str, session_id: str, booking_id: str, door: CheckinClient, act: str
) -> Response:
    form = await form_of(request)
    q = form.get("q", "")[:200]
    try:
        if act == "in":
            answer = await door.check_in(event_id, session_id, booking_id)
        else:
            answer = await door.undo(event_id, session_id, booking_id)
    except (ServiceRefused, ServiceUnavailable) as exc:
        if wants_json(request):
            return refusal(exc)
        if isinstance(exc, ServiceUnavailable):
            raise
        return redirect(door_url(event_id, session_id, q=q, last=booking_id, problem=exc.code))
    if wants_json(request):
        return JSONResponse(answer)
    return redirect(door_url(event_id, session_id, q=q, last=booking_id, result=answer["result"]))


@router.post("/checkin/{event_id}/{session_id}/people/{booking_id}/in")
async def check_in(
    request: Request, event_id: Id, session_id: Id, booking_id: Id, door: Door
) -> Response:
    """Check one person in; a repeat changes nothing."""
    return await _act(request, event_id, session_id, booking_id, door, "in")


@router.post("/checkin/{event_id}/{session_id}/people/{booking_id}/undo")
async def undo(
    request: Request, event_id: Id, session_id: Id, booking_id: Id, door: Door
) -> Response:
    """Undo a check-in (a wrong tap); a repeat changes nothing."""
    return await _act(request, event_id, session_id, booking_id, door, "undo")


@router.post("/checkin/{event_id}/{session_id}/code")
async def scanned(request: Request, event_id: Id, session_id: Id, door: Door) -> Response:
    """A code scanned inside the page: the person behind it is checked in to this session."""
    form = await form_of(request)
    # A scanned check-in link, or the bare code: only the code's own characters go on.
    code = form.get("code", "").rsplit("/", 1)[-1][:100]
    code = code if re.fullmatch(r"[A-Za-z0-9_-]+", code) else ""
    try:
        person = await door.person(code) if code else None
        if person is None:
            raise ServiceRefused("bookings", 404, {"detail": "no code was read", "code": "no_code"})
        answer = await door.check_in(event_id, session_id, person["booking_id"])
    except (ServiceRefused, ServiceUnavailable) as exc:
        return refusal(exc)
    return JSONResponse(answer)


@router.post("/checkin/{event_id}/{session_id}/walk-in")
async def walk_in(request: Request, event_id: Id, session_id: Id, door: Door) -> Response:
    """Book someone at the door through the usual decision; checked in if they got a place,
    else the reason beside the form."""
    form = await form_of(request)
    body = {k: form.get(k, "") for k in WALK_IN_FIELDS}
    if not body["option_id"]:
        body.pop("option_id")
    try:
        answer = await door.walk_in(event_id, session_id, body)
    except ServiceRefused as exc:
        register = await door.register(event_id, session_id)
        errors = exc.fields or {"_": exc.detail}
        return _door(request, register, errors=errors, values=form, status_code=422)
    if answer["status"] != "confirmed":
        register = await door.register(event_id, session_id)
        position = answer["waitlist_position"]
        message = f"No place free: put on the waiting list at number {position}, not checked in."
        return _door(request, register, errors={"_": message}, values={}, status_code=409)
    return redirect(door_url(event_id, session_id, last=answer["booking_id"], result="walked_in"))
