"""Events: list, create and edit (sessions, venue, people, options, resources, audience,
window, capacity), publish, cancel with a note. The catalogue decides; its reasons show by the
field."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import event_form, roles
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.PROGRAMME)
STATUSES = ("draft", "published", "cancelled", "completed")


@router.get("/events")
async def list_events(
    request: Request, services: ServicesDep, status: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    """Every event, soonest first, filtered by state."""
    chosen = status if status in STATUSES else ""
    events = await services.catalogue.events(status=chosen or None)
    return render(
        request, "events.html", title="Events", events=events, status=chosen, statuses=STATUSES
    )


async def _choices(services: Services) -> dict[str, object]:
    programmes, venues, people, cohorts = await asyncio.gather(
        services.catalogue.programmes(),
        services.catalogue.venues(),
        services.catalogue.people(),
        services.catalogue.cohorts(),
    )
    names = {str(p["id"]): p["name"] for p in programmes}
    return {
        "programmes": [(p["id"], p["name"]) for p in programmes],
        "venues": [(v["id"], v["name"]) for v in venues],
        "people": [
            (p["id"], f"{p['name']}, {p.get('organisation') or ''}".rstrip(", ")) for p in people
        ],
        "cohorts": [
            (
                c["id"],
                f"{names.get(str(c['programme_id']), '')} cohort {c['number']}"
                + (f" ({c['name']})" if c.get("name") else ""),
            )
            for c in cohorts
        ],
    }


def _form_page(
    request: Request,
    choices: dict[str, object],
    *,
    event: dict | None,
    values: dict[str, str],
    cohort_ids: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "event_form.html",
        status_code=status_code,
        title=f"Edit {event['title']}" if event else "New event",
        event=event,
        values=values,
        errors=errors,
        cohort_ids=cohort_ids,
        session_rows=event_form.row_count(values, "sessions"),
        option_rows=event_form.row_count(values, "options"),
        people_rows=event_form.row_count(values, "people"),
        resource_rows=event_form.row_count(values, "resources"),
        resource_kinds=[(k, k.capitalize()) for k in event_form.RESOURCE_KINDS],
        **choices,
    )


@router.get("/events/new")
async def new_event(request: Request, services: ServicesDep) -> Response:
    """The empty event form."""
    values = {
        "timezone": event_form.DEFAULT_TZ,
        "waitlist_enabled": "on",
        "audience_kind": "public",
    }
    return _form_page(
        request, await _choices(services), event=None, values=values, cohort_ids=[], errors={}
    )


async def _save(request: Request, services: Services, event: dict | None) -> Response:
    form = await form_of(request)
    cohort_ids = [str(v) for v in (await request.form()).getlist("cohort_ids")]
    parsed = event_form.parse(form, cohort_ids, creating=event is None)
    errors = dict(parsed.errors)
    saved = None
    if not errors:
        try:
            if event is None:
                saved = await services.catalogue.create_event(parsed.body)
            else:
                saved = await services.catalogue.update_event(event["id"], parsed.body)
        except ServiceRefused as exc:
            errors = parsed.form_errors(exc.fields) if exc.fields else {"_": exc.detail}
    if saved is not None:
        return redirect(
            f"/events/{saved['id']}", "event-created" if event is None else "event-saved"
        )
    return _form_page(
        request,
        await _choices(services),
        event=event,
        values=event_form.packed(form),
        cohort_ids=cohort_ids,
        errors=errors,
        status_code=422,
    )


@router.post("/events/new")
async def create_event(request: Request, services: ServicesDep) -> Response:
    """Create a draft event from the form."""
    return await _save(request, services, None)


@router.get("/events/{event_id}")
async def event_page(request: Request, event_id: str, services: ServicesDep) -> Response:
    """One event: its sessions, options and fill, and what can be done to it now."""
    event = await services.catalogue.event(event_id)
    counts = await panel(services.bookings.counts(event_id))
    return render(
        request,
        "event.html",
        title=event["title"],
        event=event,
        counts=counts,
        errors={},
        values={},
    )


@router.get("/events/{event_id}/edit")
async def edit_event(request: Request, event_id: str, services: ServicesDep) -> Response:
    """The event form, filled in."""
    event = await services.catalogue.event(event_id)
    values = event_form.values_of(event)
    return _form_page(
        request,
        await _choices(services),
        event=event,
        values=values,
        cohort_ids=[str(c) for c in event["audience"]["cohort_ids"]],
        errors={},
    )


@router.post("/events/{event_id}/edit")
async def update_event(request: Request, event_id: str, services: ServicesDep) -> Response:
    """Save changes; a published event's bookers are told of a new time or place."""
    return await _save(request, services, await services.catalogue.event(event_id))


@router.post("/events/{event_id}/publish")
async def publish_event(request: Request, event_id: str, services: ServicesDep) -> Response:
    """Publish: the event can be booked."""
    try:
        await services.catalogue.publish_event(event_id)
    except ServiceRefused as exc:
        return await _event_with_error(request, services, event_id, "publish", exc)
    return redirect(f"/events/{event_id}", "event-published")


@router.post("/events/{event_id}/cancel")
async def cancel_event(request: Request, event_id: str, services: ServicesDep) -> Response:
    """Cancel with a note to everyone booked."""
    form = await form_of(request)
    try:
        await services.catalogue.cancel_event(event_id, form.get("reason", ""))
    except ServiceRefused as exc:
        return await _event_with_error(request, services, event_id, "reason", exc, values=form)
    return redirect(f"/events/{event_id}", "event-cancelled")


async def _event_with_error(
    request: Request,
    services: Services,
    event_id: str,
    key: str,
    exc: ServiceRefused,
    values: dict[str, str] | None = None,
) -> Response:
    event = await services.catalogue.event(event_id)
    counts = await panel(services.bookings.counts(event_id))
    message = next(iter(exc.fields.values()), exc.detail) if exc.fields else exc.detail
    return render(
        request,
        "event.html",
        status_code=exc.status if exc.status in (409, 422) else 400,
        title=event["title"],
        event=event,
        counts=counts,
        errors={key: message},
        values=values or {},
    )
