"""The audit log: who did what, when, to which thing, across the services and the console;
filtered by person, thing and date, paged, exportable."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router, db_of
from services.console.domain import roles
from services.console.domain.audit import sentence
from services.console.domain.csv_cells import safe_cell
from services.console.pages.common import ServicesDep, render
from services.console.pages.panels import panel
from services.console.persistence import audit

router = console_router(roles.AUDIT)
PAGE = 50
Short = Annotated[str, Query(max_length=200)]


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def filters(
    actor: Short = "",
    target_type: Short = "",
    target_id: Short = "",
    event_id: Short = "",
    since: Short = "",
    until: Short = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> audit.Filters:
    last = _day(until)
    return audit.Filters(
        actor=actor or None,
        target_type=target_type or None,
        target_id=target_id or None,
        event_id=_uuid(event_id),
        since=_day(since),
        until=last + timedelta(days=1) if last else None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )


FiltersDep = Annotated[audit.Filters, Depends(filters)]


@router.get("/audit")
async def audit_page(request: Request, chosen: FiltersDep, services: ServicesDep) -> Response:
    """Newest first, fifty a page."""
    async with db_of(request).unit_of_work() as uow:
        entries, total = await audit.search(uow, chosen)
        actors = await audit.actors(uow)
        kinds = await audit.target_types(uow)
    events = await panel(services.catalogue.events())
    event_titles = {str(e["id"]): e["title"] for e in events.data or []}
    names = dict(actors)
    query = request.url.query
    page = chosen.offset // PAGE + 1
    return render(
        request,
        "audit.html",
        title="Audit log",
        entries=entries,
        total=total,
        actors=actors,
        kinds=kinds,
        names=names,
        events=events,
        event_titles=event_titles,
        sentence=sentence,
        q=request.query_params,
        page=page,
        pages=max(1, -(-total // PAGE)),
        query=query,
    )


@router.get("/audit.csv")
async def audit_export(request: Request, chosen: FiltersDep) -> Response:
    """The filtered entries as CSV (all pages)."""
    everything = audit.Filters(**{**vars(chosen), "limit": 100_000, "offset": 0})
    async with db_of(request).unit_of_work() as uow:
        entries, _ = await audit.search(uow, everything)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "action_id",
            "occurred_at",
            "source",
            "actor",
            "actor_name",
            "action",
            "target_type",
            "target_id",
            "event_id",
            "summary",
            "correlation_id",
        ]
    )
    for e in entries:
        writer.writerow(
            [
                e.action_id,
                e.occurred_at.isoformat(),
                e.source,
                safe_cell(e.actor),
                safe_cell(e.actor_name or ""),
                e.action,
                e.target_type,
                safe_cell(e.target_id),
                e.event_id or "",
                safe_cell(e.summary),
                e.correlation_id or "",
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
