"""The dashboard: what needs attention first, then the coming events and their fill."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.domain import roles
from services.console.pages.common import ServicesDep, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.ANY)
UPCOMING = 8
ACTIVE = ("running", "paused", "scheduled")


@router.get("/")
async def dashboard(request: Request, services: ServicesDep) -> Response:
    """Upcoming events with confirmed / waiting / capacity, campaigns running, failed
    emails, what is down."""
    if roles.door_only(request.state.staff.account.roles):
        return redirect("/checkin")  # door staff read nothing the dashboard shows
    # Each campaign's counts are read from its recipients' rows: ask only for the active ones.
    events, failed, *by_status = await asyncio.gather(
        panel(services.catalogue.events(status="published")),
        panel(services.notifications.deliveries(state="failed", limit=50)),
        *(panel(services.notifications.campaigns(status=s, limit=20)) for s in ACTIVE),
    )
    campaigns = next((p for p in by_status if not p.ok), by_status[0])
    now = datetime.now(UTC)
    upcoming = [e for e in (events.data or []) if datetime.fromisoformat(e["ends_at"]) >= now][
        :UPCOMING
    ]
    counts = await asyncio.gather(*(panel(services.bookings.counts(e["id"])) for e in upcoming))
    rows = list(zip(upcoming, counts, strict=True))
    attention = []
    for event, count in rows:
        if count.ok and count.data and count.data["waiting"] and count.data["remaining"]:
            attention.append(("waiting", event, count.data))
    mail_problems = list(reversed(failed.data or []))
    active = [c for p in by_status for c in p.data or []]
    titles = {e["id"]: e["title"] for e in events.data or []}
    return render(
        request,
        "dashboard.html",
        title="Dashboard",
        events=events,
        rows=rows,
        attention=attention,
        mail=failed,
        mail_problems=mail_problems,
        campaigns=campaigns,
        active=active,
        titles=titles,
    )
