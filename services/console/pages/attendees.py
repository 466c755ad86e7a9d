"""An event's attendees: confirmed and waiting against capacity, search, promote, change the
option of or cancel on someone's behalf, book someone in, and the CSV export streamed through
from bookings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse

from services.console.auth.web import console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import attendance, roles
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from services.console.pages.panels import panel
from shared.contracts.attendees import ATTENDEE_FIELDS

router = console_router(roles.PROGRAMME)
STATUSES = ("confirmed", "waitlisted", "cancelled")
BOOKING_FIELDS = ATTENDEE_FIELDS
# One select per option group, named by the group (the group ids are the catalogue's).
GROUP_FIELD = "option."


async def _page(
    request: Request,
    services: Services,
    event_id: str,
    *,
    status: str = "",
    q: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    event = await services.catalogue.event(event_id)
    counts = await panel(services.bookings.counts(event_id))
    listed = await panel(services.bookings.bookings(event_id, status=status, q=q, limit="500"))
    sessions = attendance.by_session(
        event.get("sessions") or [], (listed.data or {}).get("items", []), datetime.now(UTC)
    )
    return render(
        request,
        "attendees.html",
        status_code=status_code,
        title=f"Attendees: {event['title']}",
        event=event,
        counts=counts,
        listed=listed,
        status=status,
        q=q,
        statuses=STATUSES,
        errors=errors or {},
        values=values or {},
        option_choices=_option_choices(event),
        groups=_group_selects(event),
        sessions=sessions,
        mark_of=attendance.mark_of,
    )


@router.get("/events/{event_id}/attendees")
async def attendees(
    request: Request,
    event_id: str,
    services: ServicesDep,
    status: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Who is booked and who waits, searchable by name, email or organisation."""
    return await _page(
        request, services, event_id, status=status if status in STATUSES else "", q=q
    )


@router.post("/events/{event_id}/attendees")
async def book_in(request: Request, event_id: str, services: ServicesDep) -> Response:
    """Book someone in (any audience, any time, never beyond capacity)."""
    form = await form_of(request)
    body: dict[str, object] = {k: form.get(k, "") for k in BOOKING_FIELDS}
    if not body["sector"]:  # a choice left empty is no choice, not ""
        body.pop("sector")
    # An empty select is "none" in that group (refused by bookings if the group is required).
    body["option_ids"] = [v for k, v in form.items() if k.startswith(GROUP_FIELD) and v]
    body["consent_to_contact"] = form.get("consent_to_contact") == "on"
    try:
        await services.bookings.book(event_id, body)
    except ServiceRefused as exc:
        event = await services.catalogue.event(event_id)
        errors = _beside_the_groups(exc.fields, event, form) if exc.fields else {"_": exc.detail}
        return await _page(request, services, event_id, errors=errors, values=form, status_code=422)
    return redirect(f"/events/{event_id}/attendees", "booked")


@router.post("/events/{event_id}/attendees/{booking_id}/promote")
async def promote(
    request: Request, event_id: str, booking_id: str, services: ServicesDep
) -> Response:
    """Give a waiting person a free place."""
    try:
        await services.bookings.promote(booking_id)
    except ServiceRefused as exc:
        return await _page(request, services, event_id, errors={"_": exc.detail}, status_code=409)
    return redirect(f"/events/{event_id}/attendees", "promoted")


@router.post("/events/{event_id}/attendees/{booking_id}/change")
async def change(
    request: Request, event_id: str, booking_id: str, services: ServicesDep
) -> Response:
    """Move a confirmed booking to another option for the person, if it has room."""
    form = await form_of(request)
    try:
        await services.bookings.change(booking_id, form.get("option_id", ""))
    except ServiceRefused as exc:
        message = next(iter(exc.fields.values()), exc.detail) if exc.fields else exc.detail
        status_code = exc.status if exc.status in (404, 409, 422) else 400
        return await _page(
            request, services, event_id, errors={"_": message}, status_code=status_code
        )
    return redirect(f"/events/{event_id}/attendees", "option-changed")


@router.post("/events/{event_id}/attendees/{booking_id}/cancel")
async def cancel(
    request: Request, event_id: str, booking_id: str, services: ServicesDep
) -> Response:
    """Cancel a booking on the person's behalf; they are told."""
    form = await form_of(request)
    try:
        await services.bookings.cancel(booking_id, form.get("reason", ""))
    except ServiceRefused as exc:
        return await _page(request, services, event_id, errors={"_": exc.detail}, status_code=409)
    return redirect(f"/events/{event_id}/attendees", "booking-cancelled")


@router.get("/events/{event_id}/attendees.csv")
async def export(event_id: str, services: ServicesDep) -> Response:
    """Every booking of the event as CSV, streamed through from bookings as it arrives."""
    client = services.bookings
    stream = client.stream(client.export_path(event_id))
    answer = await stream.__aenter__()

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_bytes():
                yield chunk
        finally:
            await stream.__aexit__(None, None, None)

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendees-{event_id}.csv"'},
    )


def _option_choices(event: dict) -> list[tuple[str, str]]:
    """Every option, named with its group when the event has named groups ("Workshop slot:
    Morning"); choosing one changes that group's choice only."""
    names = {g["group_id"]: g["name"] for g in event.get("option_groups", [])}
    return [
        (
            o["option_id"],
            f"{names[o['group_id']]}: {o['name']}" if names.get(o.get("group_id")) else o["name"],
        )
        for o in event["options"]
    ]


def _group_selects(event: dict) -> list[dict[str, object]]:
    """The booking form's selects: one per option group, "none" offered where it is optional."""
    return [
        {
            "field": f"{GROUP_FIELD}{g['group_id']}",
            "label": g.get("name") or "Option",
            "choices": [(o["option_id"], o["name"]) for o in g.get("options", [])],
            "blank": "choose one" if g.get("required", True) else "none",
        }
        for g in event.get("option_groups", [])
        if g.get("options")
    ]


def _beside_the_groups(fields: dict[str, str], event: dict, form: dict[str, str]) -> dict[str, str]:
    """Bookings names `option_ids` for any choice problem; staff see it beside the select it is
    about: the first required group left empty, else the first group."""
    selects = _group_selects(event)
    problem = fields.get("option_ids") or fields.get("option_id")
    errors = {k: v for k, v in fields.items() if k not in ("option_ids", "option_id")}
    if problem is None or not selects:
        return fields
    empty = [s for s in selects if s["blank"] == "choose one" and not form.get(str(s["field"]))]
    errors[str((empty or selects)[0]["field"])] = problem
    return errors
