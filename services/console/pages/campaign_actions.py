"""Changing a campaign from its page: edit the draft, send a test to oneself, launch (with a
confirmation naming the count), pause, resume, cancel, "remind those who have not booked";
and writing an announcement to the people booked on an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import CurrentStaff, console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.pages.campaign_form import campaign_body, field_errors
from services.console.pages.campaigns import campaign_page
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.PROGRAMME)
ACTIONS = {"launch": "campaign-launched", "pause": "campaign-paused", "resume": "campaign-resumed"}
ACTIONS["cancel"] = "campaign-cancelled"


@router.post("/campaigns/{campaign_id}/edit")
async def edit_campaign(
    request: Request, campaign_id: str, services: ServicesDep, staff: CurrentStaff
) -> Response:
    """Save a draft's subject, message, send time and (for an invitation) its audience."""
    campaign = await services.notifications.campaign(campaign_id)
    form = await request.form()
    body, errors, values = await campaign_body(form, with_audience=campaign["kind"] == "invitation")
    if not errors:
        try:
            await services.notifications.update_campaign(campaign_id, body)
        except ServiceRefused as exc:
            errors = field_errors(exc)
        else:
            return redirect(f"/campaigns/{campaign_id}", "campaign-saved")
    return await campaign_page(
        request, services, staff, campaign_id, errors=errors, values=values, status_code=422
    )


@router.post("/campaigns/{campaign_id}/test")
async def test_campaign(
    request: Request, campaign_id: str, services: ServicesDep, staff: CurrentStaff
) -> Response:
    """The email as the chosen invitee would get it, sent to the signed-in person."""
    try:
        await services.notifications.test(campaign_id, staff.account.email)
    except ServiceRefused as exc:
        return await campaign_page(
            request, services, staff, campaign_id, errors={"_": exc.detail}, status_code=422
        )
    return redirect(f"/campaigns/{campaign_id}", "test-sent")


@router.post("/campaigns/{campaign_id}/action")
async def act_on_campaign(
    request: Request, campaign_id: str, services: ServicesDep, staff: CurrentStaff
) -> Response:
    """Launch, pause, resume or cancel. Launching needs the box ticked that names how many
    people it reaches; if the audience changed since the page showed it, nothing is sent
    and the page shows the new count."""
    form = await form_of(request)
    action = form.get("action", "")
    if action not in ACTIONS:
        return await campaign_page(
            request, services, staff, campaign_id, errors={"_": "no such action"}, status_code=422
        )
    if action == "launch":
        problem = await _launch_problem(services, campaign_id, form)
        if problem:
            return await campaign_page(
                request, services, staff, campaign_id, errors={"confirm": problem}, status_code=422
            )
    try:
        await services.notifications.act(campaign_id, action)
    except ServiceRefused as exc:
        return await campaign_page(
            request, services, staff, campaign_id, errors={"_": exc.detail}, status_code=409
        )
    return redirect(f"/campaigns/{campaign_id}", ACTIONS[action])


async def _launch_problem(services: Services, campaign_id: str, form: dict[str, str]) -> str:
    audience = await services.notifications.audience(campaign_id)
    if form.get("confirm") != "yes":
        return f"tick the box to confirm sending to {audience['reaches']} people"
    if form.get("count") != str(audience["reaches"]):
        return (
            f"the audience changed since the page was shown: it now reaches "
            f"{audience['reaches']} people; check and confirm again"
        )
    return ""


@router.post("/campaigns/{campaign_id}/follow-up")
async def chase(
    request: Request, campaign_id: str, services: ServicesDep, staff: CurrentStaff
) -> Response:
    """A draft reminder to the invitees who have neither booked, opted out nor declined
    (decided when it is launched)."""
    form = await form_of(request)
    body = {"subject": form.get("chase_subject", ""), "message": form.get("chase_message", "")}
    try:
        made = await services.notifications.follow_up(campaign_id, body)
    except ServiceRefused as exc:
        errors = {f"chase_{k}": v for k, v in field_errors(exc).items()}
        return await campaign_page(
            request, services, staff, campaign_id, errors=errors, status_code=422
        )
    return redirect(f"/campaigns/{made['id']}", "reminder-drafted")


async def _announce_page(
    request: Request,
    services: Services,
    *,
    values: dict[str, str],
    chosen: list[str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    events = await services.catalogue.events(status="published")
    event = None
    if values.get("event_id"):
        found = await panel(services.catalogue.event(values["event_id"]))
        event = found.data
    return render(
        request,
        "announcement_form.html",
        status_code=status_code,
        title="Write to attendees",
        event_choices=[(e["id"], e["title"]) for e in events],
        event=event,
        values=values,
        chosen=chosen,
        errors=errors,
    )


@router.get("/announcements/new")
async def new_announcement(
    request: Request, services: ServicesDep, event_id: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    """Write to the people booked on an event, by status and option."""
    values = {"event_id": event_id, "confirmed": "on"}
    return await _announce_page(request, services, values=values, chosen=[], errors={})


@router.post("/announcements/new")
async def create_announcement(request: Request, services: ServicesDep) -> Response:
    """Save the announcement as a draft; its page shows the count, preview and test."""
    raw = await request.form()
    form = await form_of(request)
    options = [o for o in raw.getlist("option_ids") if isinstance(o, str) and o]
    statuses = [s for s in ("confirmed", "waitlisted") if form.get(s)]
    body = {
        "event_id": form.get("event_id", ""),
        "subject": form.get("subject", ""),
        "message": form.get("message", ""),
        "statuses": statuses,
        "option_ids": options,
    }
    try:
        made = await services.notifications.announce(body)
    except ServiceRefused as exc:
        errors = field_errors(exc)
        return await _announce_page(
            request, services, values=form, chosen=options, errors=errors, status_code=422
        )
    return redirect(f"/campaigns/{made['id']}", "campaign-saved")
