"""Operations (ops and admin): each service's readiness and queues, its parked messages
(never their payloads, which may hold personal data) with replay, and resync."""

from __future__ import annotations

import asyncio
import re

from fastapi import HTTPException, Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.domain import roles
from services.console.pages.common import OPS_SERVICES, OpsDep, form_of, redirect, render
from services.console.pages.panels import panel

router = console_router(roles.OPS)
RESYNC_SERVICES = ("catalogue", "bookings")
PARKED_SHOWN = 100
# The services' own rule for message ids; checked here too so an id never reshapes the URL.
MESSAGE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def _known(service: str) -> str:
    if service not in OPS_SERVICES:
        raise HTTPException(404)
    return service


@router.get("/operations")
async def operations(request: Request, ops: OpsDep) -> Response:
    """Per service: readiness checks, each queue's ready / consumers / parked, parked messages."""
    rows = []
    for name, client in ops.items():
        readiness, queues, parked = await asyncio.gather(
            panel(client.readiness()),
            panel(client.queues()),
            panel(client.parked(limit=PARKED_SHOWN)),
        )
        rows.append(
            {
                "name": name,
                "readiness": readiness,
                "queues": queues,
                "parked": parked,
                "resync": name in RESYNC_SERVICES,
            }
        )
    return render(request, "operations.html", title="Operations", services=rows, age=age)


@router.post("/operations/{service}/parked/{message_id}/replay")
async def replay_one(request: Request, service: str, message_id: str, ops: OpsDep) -> Response:
    """One parked message back on its queue (the service audits it)."""
    if not MESSAGE_ID.match(message_id):
        raise HTTPException(404)
    form = await form_of(request)
    await ops[_known(service)].replay(message_id, form.get("queue") or None)
    return redirect("/operations", "message-replayed")


@router.post("/operations/{service}/parked/replay")
async def replay_all(request: Request, service: str, ops: OpsDep) -> Response:
    """Every parked message of one service back on its queue."""
    answer = await ops[_known(service)].replay_all()
    return redirect("/operations", "parked-replayed" if answer["replayed"] else "nothing-parked")


@router.post("/operations/{service}/resync")
async def resync(request: Request, service: str, ops: OpsDep) -> Response:
    """Catalogue or bookings republishes what the others replicate."""
    if _known(service) not in RESYNC_SERVICES:
        raise HTTPException(404)
    await ops[service].resync()
    return redirect("/operations", "resynced")
