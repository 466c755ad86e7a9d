"""Partners: the sites that embed the widget, their keys and allowed origins, and the two-line
embed snippet for a chosen event."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router, settings_of
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.PROGRAMME)


def _origins(text: str) -> list[str]:
    return [line.strip().rstrip("/") for line in text.splitlines() if line.strip()]


def _origin_errors(exc: ServiceRefused) -> dict[str, str]:
    """`allowed_origins.2` from bookings becomes the textarea's error, naming the line."""
    errors: dict[str, str] = {}
    for key, message in exc.fields.items():
        if key.startswith("allowed_origins."):
            line = int(key.split(".")[1]) + 1
            errors["allowed_origins"] = (
                f"line {line}: {message} (scheme and host, e.g. https://www.council.gov.uk)"
            )
        else:
            errors[key] = message
    return errors or {"_": exc.detail}


@router.get("/partners")
async def list_partners(request: Request, services: ServicesDep) -> Response:
    """Every partner with its origins and key state, and the form for a new one."""
    return render(
        request,
        "partners.html",
        title="Partners",
        partners=await services.bookings.partners(),
        errors={},
        values={},
    )


@router.post("/partners")
async def create_partner(request: Request, services: ServicesDep) -> Response:
    """A new partner with a fresh widget key."""
    form = await form_of(request)
    body = {
        "name": form.get("name", ""),
        "allowed_origins": _origins(form.get("allowed_origins", "")),
    }
    try:
        made = await services.bookings.create_partner(body)
    except ServiceRefused as exc:
        return render(
            request,
            "partners.html",
            status_code=422,
            title="Partners",
            partners=await services.bookings.partners(),
            errors=_origin_errors(exc),
            values=form,
        )
    return redirect(f"/partners/{made['id']}", "partner-created")


async def _partner_page(
    request: Request,
    services: Services,
    partner_id: str,
    *,
    event_ref: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    partner = await services.bookings.partner(partner_id)
    events = await panel(services.catalogue.events(status="published"))
    settings = settings_of(request)
    host = (settings.bookings_public_url or settings.bookings_url).rstrip("/")
    choices = [(e["slug"], e["title"]) for e in events.data or []]
    chosen = (
        event_ref if event_ref in dict(choices) else (choices[0][0] if choices else "EVENT-SLUG")
    )
    snippet = (
        f'<script src="{host}/widget.js" defer></script>\n'
        f'<div data-gm-event="{chosen}" data-gm-partner="{partner["key"]}"></div>'
    )
    return render(
        request,
        "partner.html",
        status_code=status_code,
        title=partner["name"],
        partner=partner,
        events=events,
        choices=choices,
        chosen=chosen,
        snippet=snippet,
        errors=errors or {},
        values=values
        or {"name": partner["name"], "allowed_origins": "\n".join(partner["allowed_origins"])},
    )


@router.get("/partners/{partner_id}")
async def partner_page(
    request: Request,
    partner_id: str,
    services: ServicesDep,
    event: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """One partner: origins, key, and the embed snippet for the chosen event."""
    return await _partner_page(request, services, partner_id, event_ref=event)


@router.post("/partners/{partner_id}")
async def update_partner(request: Request, partner_id: str, services: ServicesDep) -> Response:
    """Save name and origins; rotate the key or switch the partner off when asked."""
    form = await form_of(request)
    body: dict[str, object] = {
        "name": form.get("name", ""),
        "allowed_origins": _origins(form.get("allowed_origins", "")),
    }
    action = form.get("action", "save")
    if action == "rotate":
        body = {"rotate_key": True}
    elif action in ("deactivate", "activate"):
        body = {"active": action == "activate"}
    try:
        await services.bookings.update_partner(partner_id, body)
    except ServiceRefused as exc:
        return await _partner_page(
            request, services, partner_id, errors=_origin_errors(exc), values=form, status_code=422
        )
    return redirect(f"/partners/{partner_id}", "partner-saved")
