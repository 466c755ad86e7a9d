"""Privacy requests in the console: a page for administrators (ask, watch which services have
answered), the same as an API for a bearer token, and the public download of an export."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from services.console.auth.web import NotAllowed, console_router, db_of, settings_of
from services.console.domain import roles
from services.console.pages.common import form_of, redirect, render
from services.console.privacy import archive, store, usecases
from shared.addresses import EmailAddress
from shared.auth import Principal, require_role
from shared.contracts.privacy import ANSWERING_SERVICES
from shared.privacy.links import download_is_valid
from shared.staff_actions import detach_staff_command


async def _unrestricted(request: Request) -> None:
    """A privacy request covers every programme: an admin limited to some may not make one."""
    staff = getattr(request.state, "staff", None)
    if staff is not None and staff.account.programmes:
        raise NotAllowed()


router = console_router(roles.ADMIN)
router.dependencies.append(Depends(_unrestricted))
api = APIRouter(prefix="/api/privacy")
public = APIRouter(include_in_schema=False)


class PrivacyAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    kind: Literal["export", "erasure"]


def _progress(request: store.Request) -> dict[str, Any]:
    return {
        "id": str(request.id),
        "kind": request.kind,
        "requested_at": request.requested_at.isoformat(),
        "requested_by": request.requested_by_name or request.requested_by,
        "completed_at": request.completed_at.isoformat() if request.completed_at else None,
        "services": {
            service: (
                request.answered[service].isoformat() if service in request.answered else None
            )
            for service in ANSWERING_SERVICES
        },
    }


def _field_errors(exc: ValidationError) -> dict[str, str]:
    return {".".join(str(p) for p in error["loc"]) or "_": error["msg"] for error in exc.errors()}


@router.get("/privacy")
async def privacy_page(request: Request) -> Response:
    """Recent privacy requests with the services that answered, and the form for a new one."""
    async with db_of(request).unit_of_work() as uow:
        found = await store.recent(uow)
    return render(request, "privacy.html", requests=[_progress(r) for r in found])


@router.post("/privacy/requests")
async def ask_page(request: Request) -> Response:
    """Export or erase everything held about one address, in every service."""
    form = await form_of(request)
    try:
        asked = PrivacyAsk(email=form.get("email", ""), kind=form.get("kind", ""))  # type: ignore[arg-type]
    except ValidationError as exc:
        async with db_of(request).unit_of_work() as uow:
            found = await store.recent(uow)
        return render(
            request,
            "privacy.html",
            status_code=422,
            errors=_field_errors(exc),
            values={"email": form.get("email", ""), "kind": form.get("kind", "")},
            requests=[_progress(r) for r in found],
        )
    staff = request.state.staff
    request_id = await usecases.ask(
        db_of(request),
        settings_of(request),
        actor=staff.account,
        email=asked.email,
        kind=asked.kind,
    )
    return redirect(f"/privacy/requests/{request_id}", "privacy-asked")


@router.get("/privacy/requests/{request_id}")
async def request_page(request: Request, request_id: str) -> Response:
    """One request: which services have answered, and when it completed."""
    found = await _find(request, request_id)
    if found is None:
        return render(
            request, "error.html", status_code=404, title="Not found", message="No such request."
        )
    return render(request, "privacy_request.html", item=_progress(found))


async def _find(request: Request, request_id: str) -> store.Request | None:
    try:
        wanted = uuid.UUID(request_id)
    except ValueError:
        return None
    async with db_of(request).unit_of_work() as uow:
        return await store.get(uow, wanted)


def _unscoped(principal: Principal) -> JSONResponse | None:
    if principal.programmes is not None:
        return JSONResponse(
            {"detail": "privacy requests cover every programme: an unrestricted admin only"},
            status_code=403,
        )
    return None


AdminToken = Annotated[Principal, Depends(require_role("admin"))]


@api.post("/requests", status_code=202)
async def ask_api(request: Request, principal: AdminToken) -> Response:
    """Ask for an export or an erasure of one address; answers 202 with its progress."""
    refused = _unscoped(principal)
    if refused:
        return refused
    try:
        asked = PrivacyAsk.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"detail": "invalid", "fields": _field_errors(exc)}, status_code=422)
    # The console writes its own audit entry (usecases.ask), not a message to itself.
    detach_staff_command()
    request_id = await usecases.ask(
        db_of(request),
        settings_of(request),
        actor=None,
        actor_label=principal.subject,
        email=asked.email,
        kind=asked.kind,
    )
    found = await _find(request, str(request_id))
    assert found is not None
    return JSONResponse(_progress(found), status_code=202)


@api.get("/requests/{request_id}")
async def progress_api(request: Request, request_id: str, principal: AdminToken) -> Response:
    """A request's progress: which services have answered, and whether it completed."""
    refused = _unscoped(principal)
    if refused:
        return refused
    found = await _find(request, request_id)
    if found is None:
        return JSONResponse({"detail": "no such request"}, status_code=404)
    return JSONResponse(_progress(found))


_GONE = (
    "This download link is not valid or has expired. Ask the programme for a new copy of your data."
)


@public.get("/privacy/download/{request_id}")
async def download(
    request: Request,
    request_id: str,
    expires: str = "",
    sig: str = "",
) -> Response:
    """The person's archive (a zip of JSON and CSV); any bad link answers the same page."""
    settings = settings_of(request)
    document = None
    try:
        wanted: uuid.UUID | None = uuid.UUID(request_id)
        stamp = int(expires[:20])
    except ValueError:
        wanted, stamp = None, 0
    if wanted and download_is_valid(
        settings.privacy_hash_key.get_secret_value(), wanted, stamp, sig
    ):
        async with db_of(request).unit_of_work() as uow:
            document = await store.archive_of(uow, wanted, datetime.now(UTC))
    if document is None:
        return render(request, "error.html", status_code=404, title="Not found", message=_GONE)
    return Response(
        archive.zipped(document),
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="your-data.zip"',
            "Cache-Control": "no-store",
        },
    )
