"""What every page shares: templates (sandboxed, autoescaped), the page shell's navigation by
role, the per-request service clients, redirects after a change, and fixed notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from services.console.auth.web import CurrentStaff, Staff, settings_of
from services.console.clients.bookings import BookingsClient
from services.console.clients.catalogue import CatalogueClient
from services.console.clients.notifications import NotificationsClient
from services.console.clients.ops import OpsClient
from services.console.clients.tokens import token_for
from services.console.domain import roles

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(
    env=SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )
)


def local_time(value: str | None, zone: str | None = None) -> str:
    """An ISO time from a service, shown in the event's own zone (Europe/London by default)."""
    if not value:
        return ""
    try:
        tz = ZoneInfo(zone or "Europe/London")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("Europe/London")
    return datetime.fromisoformat(value).astimezone(tz).strftime("%a %d %b %Y %H:%M")


templates.env.filters["local"] = local_time

NAV = (
    ("Dashboard", "/", roles.ANY),
    ("Check-in", "/checkin", roles.CHECKIN),
    ("Events", "/events", roles.PROGRAMME),
    ("Cohorts", "/cohorts", roles.PROGRAMME),
    ("Campaigns", "/campaigns", roles.PROGRAMME),
    ("Deliveries", "/deliveries", roles.PROGRAMME),
    ("Partners", "/partners", roles.PROGRAMME),
    ("Staff", "/staff", roles.ADMIN),
    ("Audit log", "/audit", roles.AUDIT),
    ("Operations", "/operations", roles.OPS),
    ("Privacy", "/privacy", roles.ADMIN),
)

# Messages after a change are chosen by code from this table: nothing typed is echoed back.
NOTICES = {
    "signed-out": "You are signed out.",
    "event-created": "The event was created as a draft.",
    "event-saved": "The event was saved.",
    "event-published": "The event is published: it can be booked.",
    "event-cancelled": "The event is cancelled; everyone booked is being told.",
    "booked": "The booking was made.",
    "promoted": "The person was promoted from the waiting list and is being told.",
    "booking-cancelled": "The booking was cancelled and the person is being told.",
    "option-changed": "The booking moved to the new option and the person is being told.",
    "cohort-created": "The cohort was created.",
    "roster-imported": "The roster was imported.",
    "member-added": "The member was added.",
    "member-saved": "The member was saved.",
    "member-removed": "The member was removed.",
    "account-created": "The staff account was created.",
    "account-saved": "The staff account was saved.",
    "sessions-ended": "Their sessions were ended: they must sign in again.",
    "partner-created": "The partner was created; its key is below.",
    "partner-saved": "The partner was saved.",
    "message-replayed": "The message was put back on its queue; its attempts start again.",
    "parked-replayed": "Every parked message of that service was put back on its queue.",
    "nothing-parked": "That service had no parked message to replay.",
    "privacy-asked": "The request was sent to every service; their answers appear below.",
    "campaign-saved": "The campaign was saved as a draft. Check its audience and preview.",
    "campaign-launched": "The campaign is launched.",
    "campaign-paused": "The campaign is paused: nothing more is sent until it is resumed.",
    "campaign-resumed": "The campaign is sending again.",
    "campaign-cancelled": "The campaign is cancelled: no one else will be emailed.",
    "test-sent": "A test was sent to your own address.",
    "reminder-drafted": "A reminder to those who have not booked was drafted; its audience "
    "is counted again when you launch it.",
    "email-resent": "The email is being sent again.",
    "suppression-lifted": "The address was lifted from the suppression list.",
    "resynced": "The service is republishing its current state to the others.",
}


def nav_for(staff: Staff | None) -> list[tuple[str, str]]:
    if staff is None:
        return []
    return [
        (label, path) for label, path, needed in NAV if roles.allowed(staff.account.roles, needed)
    ]


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    staff: Staff | None = getattr(request.state, "staff", None)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return templates.TemplateResponse(
        request,
        name,
        {
            "staff": staff,
            "nav": nav_for(staff),
            "current": request.url.path,
            "csrf_token": staff.csrf_token if staff else context.pop("csrf_token", ""),
            "notice": notice,
            "errors": {},
            "values": {},
            **context,
        },
        status_code=status_code,
    )


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    if notice:
        url += ("&" if "?" in url else "?") + f"notice={notice}"
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class Services:
    catalogue: CatalogueClient
    bookings: BookingsClient
    notifications: NotificationsClient


async def services(request: Request, staff: CurrentStaff) -> Services:
    settings = settings_of(request)
    http = request.app.state.http
    token = token_for(settings, staff.account)
    return Services(
        CatalogueClient("catalogue", settings.catalogue_url, http, token),
        BookingsClient("bookings", settings.bookings_url, http, token),
        NotificationsClient("notifications", settings.notifications_url, http, token),
    )


ServicesDep = Annotated[Services, Depends(services)]

OPS_SERVICES = ("catalogue", "bookings", "notifications")


async def ops_clients(request: Request, staff: CurrentStaff) -> dict[str, OpsClient]:
    """Each service's /ops API, called with the signed-in person's own token (their roles)."""
    settings = settings_of(request)
    http = request.app.state.http
    token = token_for(settings, staff.account)
    urls = {
        "catalogue": settings.catalogue_url,
        "bookings": settings.bookings_url,
        "notifications": settings.notifications_url,
    }
    return {name: OpsClient(name, urls[name], http, token) for name in OPS_SERVICES}


OpsDep = Annotated[dict[str, OpsClient], Depends(ops_clients)]


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's text fields (file fields left out), trimmed."""
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
