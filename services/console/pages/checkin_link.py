"""The page a booking's QR code opens: signed-in door staff see the person and a large "Check
in" button per session today; anyone else is sent to sign in or told the page is not for
their role, and sees nothing of the person."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.pages.checkin import PROBLEMS, RESULTS, Door
from services.console.pages.common import form_of, redirect, render

router = console_router(roles.CHECKIN)
Code = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _invalid(request: Request) -> Response:
    return render(
        request,
        "error.html",
        status_code=404,
        title="Not a valid check-in code",
        message="This check-in code is not valid. Search for the person by name instead.",
    )


@router.get("/checkin/t/{code}")
async def link_page(
    request: Request,
    code: Code,
    door: Door,
    result: Annotated[str, Query(max_length=40)] = "",
    problem: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Who the code names, their event, and today's sessions with a Check in button each."""
    try:
        person = await door.person(code)
    except ServiceRefused as exc:
        if exc.status == 404:
            return _invalid(request)
        raise
    return render(
        request,
        "checkin_link.html",
        title="Check in",
        person=person,
        code=code,
        result=RESULTS.get(result),
        problem=PROBLEMS.get(problem, "Refused: not checked in." if problem else ""),
    )


@router.post("/checkin/t/{code}")
async def link_check_in(request: Request, code: Code, door: Door) -> Response:
    """Check the person in to the chosen session of today."""
    form = await form_of(request)
    session_id = form.get("session_id", "")
    try:
        person = await door.person(code)
        if not _is_uuid(session_id):  # it becomes part of bookings' path: an id or nothing
            raise ServiceRefused("bookings", 422, {"detail": "choose a session", "code": "session"})
        answer = await door.check_in(str(person["event_id"]), session_id, person["booking_id"])
    except ServiceRefused as exc:
        if exc.status == 404 and exc.code == "token_not_found":
            return _invalid(request)
        return redirect(f"/checkin/t/{code}?problem={exc.code or 'refused'}")
    return redirect(f"/checkin/t/{code}?result={answer['result']}")
