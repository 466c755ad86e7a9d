"""Deliveries: every email the programme sent one person, with its state and reason; resend a
confirmation or a failed email (to a corrected address); the suppression list and lifting an
entry from it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from services.console.pages.panels import Panel, panel

router = console_router(roles.PROGRAMME)


def _back(email: str) -> str:
    return "/deliveries?" + urlencode({"email": email}) if email else "/deliveries"


async def _page(
    request: Request,
    services: Services,
    email: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sent: Panel[list[dict[str, object]]] = Panel([])
    listed: Panel[list[dict[str, object]]] = Panel([])
    if email:
        sent = await panel(services.notifications.deliveries(email=email, limit=500))
        listed = await panel(services.notifications.suppressions(email=email))
    else:
        listed = await panel(services.notifications.suppressions())
    return render(
        request,
        "deliveries.html",
        status_code=status_code,
        title="Deliveries",
        email=email,
        sent=Panel(list(reversed(sent.data or [])), sent.problem),
        suppressions=listed,
        errors=errors or {},
    )


@router.get("/deliveries")
async def deliveries(
    request: Request, services: ServicesDep, email: Annotated[str, Query(max_length=320)] = ""
) -> Response:
    """One person's emails, newest first; with no address, the suppression list."""
    return await _page(request, services, email.strip())


@router.post("/deliveries/{delivery_id}/resend")
async def resend(request: Request, delivery_id: str, services: ServicesDep) -> Response:
    """Send it again (a copy of a confirmation; a failed email, to the corrected address)."""
    form = await form_of(request)
    person = form.get("person", "")
    try:
        await services.notifications.resend(delivery_id, form.get("email") or None)
    except ServiceRefused as exc:
        errors = {f"email-{delivery_id}": exc.fields.get("email", exc.detail)}
        return await _page(request, services, person, errors=errors, status_code=422)
    return redirect(_back(form.get("email") or person), "email-resent")


@router.post("/suppressions/lift")
async def lift(request: Request, services: ServicesDep) -> Response:
    """Let campaign emails reach this address again."""
    form = await form_of(request)
    email = form.get("email", "")
    try:
        await services.notifications.lift(email)
    except ServiceRefused as exc:
        return await _page(
            request, services, email, errors={"_": exc.detail}, status_code=exc.status
        )
    return redirect(_back(email), "suppression-lifted")
