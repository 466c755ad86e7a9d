"""Campaigns: the list with counts, composing a draft, and one campaign's page (audience with
who is left out and why, preview as one invitee, live progress, per-person deliveries)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import CurrentStaff, console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.pages.campaign_form import campaign_body, field_errors
from services.console.pages.common import Services, ServicesDep, redirect, render
from services.console.pages.panels import by_id, panel

router = console_router(roles.PROGRAMME)
STATUSES = ("draft", "scheduled", "running", "paused", "completed", "cancelled")
KINDS = {"invitation": "Invitation", "follow_up": "Reminder", "announcement": "Announcement"}
LIVE = ("running", "scheduled")
REASONS = {
    "booked": "already booked",
    "opted_out": "opted out",
    "suppressed": "suppressed (address refused permanently)",
    "off_roster": "no longer on a roster",
    "no_reason": "on no roster and never agreed to be contacted",
    "declined": "answered “I can't come”",
}


@router.get("/campaigns")
async def list_campaigns(
    request: Request,
    services: ServicesDep,
    status: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Every campaign with its state and counts, filtered by state and kind."""
    status = status if status in STATUSES else ""
    kind = kind if kind in KINDS else ""
    listed, events = await asyncio.gather(
        panel(services.notifications.campaigns(status=status, kind=kind, limit=50)),
        panel(services.catalogue.events()),
    )
    return render(
        request,
        "campaigns.html",
        title="Campaigns",
        listed=listed,
        events=by_id(events.data or []),
        status=status,
        kind=kind,
        statuses=STATUSES,
        kinds=KINDS,
    )


def _cohort_label(cohort: dict[str, object]) -> str:
    label = f"Cohort {cohort['number']}" + (f": {cohort['name']}" if cohort.get("name") else "")
    size = cohort.get("member_count")
    return label + (f" ({size} on the roster)" if size is not None else "")


async def _form_choices(services: Services) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    events, cohorts = await asyncio.gather(
        services.catalogue.events(status="published"), services.catalogue.cohorts()
    )
    return [(e["id"], e["title"]) for e in events], [(c["id"], _cohort_label(c)) for c in cohorts]


async def compose_page(
    request: Request,
    services: Services,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    event_choices, cohort_choices = await _form_choices(services)
    return render(
        request,
        "campaign_form.html",
        status_code=status_code,
        title="New campaign",
        event_choices=event_choices,
        cohort_choices=cohort_choices,
        values=values,
        errors=errors,
        action="/campaigns/new",
    )


@router.get("/campaigns/new")
async def new_campaign(
    request: Request, services: ServicesDep, event_id: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    """Compose: event, cohorts, extra addresses (pasted or a file), subject, message, when."""
    return await compose_page(request, services, values={"event_id": event_id}, errors={})


@router.post("/campaigns/new")
async def create_campaign(request: Request, services: ServicesDep) -> Response:
    """Save the draft, then show its audience count before anything is sent."""
    body, errors, values = await campaign_body(await request.form())
    if not errors:
        try:
            made = await services.notifications.create_campaign(body)
        except ServiceRefused as exc:
            errors = field_errors(exc)
        else:
            return redirect(f"/campaigns/{made['id']}", "campaign-saved")
    return await compose_page(request, services, values=values, errors=errors, status_code=422)


async def campaign_page(
    request: Request,
    services: Services,
    staff: CurrentStaff,
    campaign_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    preview_as: str = "",
    state: str = "",
    status_code: int = 200,
) -> Response:
    campaign = await services.notifications.campaign(campaign_id)
    audience, preview, event, answers, deliveries = await asyncio.gather(
        panel(services.notifications.audience(campaign_id)),
        panel(services.notifications.preview(campaign_id, preview_as or None)),
        panel(services.catalogue.event(campaign["event_id"])),
        panel(services.notifications.answers(campaign_id)),
        panel(services.notifications.deliveries(campaign_id=campaign_id, state=state, limit=500)),
    )
    edit = values or {
        "subject": campaign["subject"],
        "message": campaign["message"],
        "emails": "\n".join(campaign["emails"]),
        "cohort_ids": ",".join(campaign["cohort_ids"]),
        "send_at": (campaign["send_at"] or "")[:16],
    }
    cohort_choices: list[tuple[str, str]] = []
    if campaign["status"] == "draft" and campaign["kind"] == "invitation":
        _, cohort_choices = await _form_choices(services)
    return render(
        request,
        "campaign.html",
        status_code=status_code,
        title=campaign["subject"],
        campaign=campaign,
        event=event,
        audience=audience,
        preview=preview,
        preview_as=preview_as,
        answers=answers,
        deliveries=deliveries,
        state=state,
        reasons=REASONS,
        kinds=KINDS,
        live=campaign["status"] in LIVE,
        errors=errors or {},
        values=edit,
        cohort_choices=cohort_choices,
        me=staff.account.email,
    )


@router.get("/campaigns/{campaign_id}")
async def show_campaign(
    request: Request,
    campaign_id: str,
    services: ServicesDep,
    staff: CurrentStaff,
    preview_as: Annotated[str, Query(alias="as", max_length=320)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One campaign: audience count and who is left out, preview, test, launch, progress."""
    return await campaign_page(
        request, services, staff, campaign_id, preview_as=preview_as, state=state
    )


@router.get("/campaigns/{campaign_id}/progress")
async def campaign_progress(request: Request, campaign_id: str, services: ServicesDep) -> Response:
    """The progress panel alone, for the page's polling (and a plain page without JS)."""
    campaign = await services.notifications.campaign(campaign_id)
    return render(
        request,
        "_campaign_progress.html",
        title="Progress",
        campaign=campaign,
        live=campaign["status"] in LIVE,
    )
