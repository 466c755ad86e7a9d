"""Cohorts and rosters: create a cohort; upload a roster CSV, see the catalogue's row report
before anything is written, then confirm; add, edit and remove members; export."""

from __future__ import annotations

import base64
import csv
import io
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from services.console.auth.web import console_router
from services.console.clients.base import ServiceRefused
from services.console.domain import roles
from services.console.domain.csv_cells import safe_cell
from services.console.pages.common import Services, ServicesDep, form_of, redirect, render
from shared.contracts.attendees import ROSTER_FIELDS

router = console_router(roles.PROGRAMME)
MAX_ROSTER_BYTES = 2 * 1024 * 1024
MEMBER_FIELDS = ROSTER_FIELDS


@router.get("/cohorts")
async def list_cohorts(request: Request, services: ServicesDep) -> Response:
    """Every cohort with its size, and the form for a new one."""
    return await _cohorts_page(request, services)


async def _cohorts_page(
    request: Request,
    services: Services,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cohorts = await services.catalogue.cohorts()
    programmes = await services.catalogue.programmes()
    names = {str(p["id"]): p["name"] for p in programmes}
    return render(
        request,
        "cohorts.html",
        status_code=status_code,
        title="Cohorts",
        cohorts=cohorts,
        programme_names=names,
        programmes=[(p["id"], p["name"]) for p in programmes],
        errors=errors or {},
        values=values or {},
    )


@router.post("/cohorts")
async def create_cohort(request: Request, services: ServicesDep) -> Response:
    """Add a cohort to a programme."""
    form = await form_of(request)
    body: dict[str, object] = {
        "programme_id": form.get("programme_id", ""),
        "number": form.get("number", ""),
    }
    if form.get("name"):
        body["name"] = form["name"]
    try:
        made = await services.catalogue.create_cohort(body)
    except ServiceRefused as exc:
        return await _cohorts_page(
            request, services, errors=exc.fields or {"_": exc.detail}, values=form, status_code=422
        )
    return redirect(f"/cohorts/{made['id']}", "cohort-created")


async def _cohort_page(
    request: Request,
    services: Services,
    cohort_id: str,
    *,
    q: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: object,
) -> Response:
    cohort = await services.catalogue.cohort(cohort_id)
    members = await services.catalogue.members(cohort_id)
    if q:
        needle = q.casefold()
        members = [m for m in members if any(needle in str(m[k]).casefold() for k in MEMBER_FIELDS)]
    return render(
        request,
        "cohort.html",
        status_code=status_code,
        title=f"Cohort {cohort['number']}",
        cohort=cohort,
        members=members,
        q=q,
        errors=errors or {},
        values=values or {},
        **extra,
    )


@router.get("/cohorts/{cohort_id}")
async def cohort_page(
    request: Request,
    cohort_id: str,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A cohort's roster, searchable, with upload, add and export."""
    return await _cohort_page(request, services, cohort_id, q=q)


async def _upload(request: Request) -> tuple[bytes | None, str]:
    form = await request.form()
    upload = form.get("roster")
    if upload is None or isinstance(upload, str):
        return None, "choose a CSV file to upload"
    data = await upload.read(MAX_ROSTER_BYTES + 1)
    if len(data) > MAX_ROSTER_BYTES:
        return None, f"a roster file is at most {MAX_ROSTER_BYTES // 1024} KiB"
    if not data:
        return None, "the file is empty"
    return data, ""


@router.post("/cohorts/{cohort_id}/roster/preview")
async def preview_roster(request: Request, cohort_id: str, services: ServicesDep) -> Response:
    """The catalogue's report for the file, with nothing written yet."""
    data, problem = await _upload(request)
    if data is None:
        return await _cohort_page(
            request, services, cohort_id, errors={"roster": problem}, status_code=422
        )
    try:
        report = await services.catalogue.import_roster(cohort_id, data, dry_run=True)
    except ServiceRefused as exc:
        return await _cohort_page(
            request, services, cohort_id, errors={"roster": exc.detail}, status_code=422
        )
    cohort = await services.catalogue.cohort(cohort_id)
    # The file goes back in the confirm form, so confirming imports exactly what was previewed.
    return render(
        request,
        "roster_report.html",
        title="Roster preview",
        cohort=cohort,
        report=report,
        confirmed=False,
        payload=base64.b64encode(data).decode(),
    )


@router.post("/cohorts/{cohort_id}/roster")
async def import_roster(request: Request, cohort_id: str, services: ServicesDep) -> Response:
    """Import the previewed file: good rows go in, bad rows are listed with their line."""
    form = await form_of(request)
    try:
        data = base64.b64decode(form.get("payload", ""), validate=True)
    except ValueError:
        data = b""
    if not data or len(data) > MAX_ROSTER_BYTES:
        return await _cohort_page(
            request,
            services,
            cohort_id,
            errors={"roster": "upload the file again"},
            status_code=422,
        )
    try:
        report = await services.catalogue.import_roster(cohort_id, data, dry_run=False)
    except ServiceRefused as exc:
        return await _cohort_page(
            request, services, cohort_id, errors={"roster": exc.detail}, status_code=422
        )
    cohort = await services.catalogue.cohort(cohort_id)
    return render(
        request,
        "roster_report.html",
        title="Roster imported",
        cohort=cohort,
        report=report,
        confirmed=True,
        payload="",
    )


@router.post("/cohorts/{cohort_id}/members")
async def add_member(request: Request, cohort_id: str, services: ServicesDep) -> Response:
    """Add one delegate."""
    form = await form_of(request)
    body = {k: form.get(k, "") for k in MEMBER_FIELDS}
    try:
        await services.catalogue.add_member(cohort_id, body)
    except ServiceRefused as exc:
        return await _cohort_page(
            request,
            services,
            cohort_id,
            errors=exc.fields or {"_": exc.detail},
            values=form,
            status_code=422,
        )
    return redirect(f"/cohorts/{cohort_id}", "member-added")


@router.get("/cohorts/{cohort_id}/members/{member_id}/edit")
async def edit_member(
    request: Request, cohort_id: str, member_id: str, services: ServicesDep
) -> Response:
    """One delegate's details, to change."""
    member = next(
        (m for m in await services.catalogue.members(cohort_id) if str(m["id"]) == member_id), None
    )
    if member is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Not found",
            message="No such member in this cohort.",
        )
    return render(
        request,
        "member_form.html",
        title=f"Edit {member['name']}",
        cohort_id=cohort_id,
        member=member,
        values={k: member[k] for k in MEMBER_FIELDS},
        errors={},
    )


@router.post("/cohorts/{cohort_id}/members/{member_id}/edit")
async def update_member(
    request: Request, cohort_id: str, member_id: str, services: ServicesDep
) -> Response:
    """Save one delegate's details."""
    form = await form_of(request)
    body = {k: form.get(k, "") for k in MEMBER_FIELDS}
    try:
        await services.catalogue.update_member(cohort_id, member_id, body)
    except ServiceRefused as exc:
        return render(
            request,
            "member_form.html",
            status_code=422,
            title="Edit member",
            cohort_id=cohort_id,
            member={"id": member_id, **body},
            values=body,
            errors=exc.fields or {"_": exc.detail},
        )
    return redirect(f"/cohorts/{cohort_id}", "member-saved")


@router.post("/cohorts/{cohort_id}/members/{member_id}/remove")
async def remove_member(
    request: Request, cohort_id: str, member_id: str, services: ServicesDep
) -> Response:
    """Take one delegate off the roster."""
    await services.catalogue.remove_member(cohort_id, member_id)
    return redirect(f"/cohorts/{cohort_id}", "member-removed")


@router.get("/cohorts/{cohort_id}/roster.csv")
async def export_roster(cohort_id: str, services: ServicesDep) -> Response:
    """The roster as CSV: UTF-8 with a BOM, formula-safe cells, the record id first."""
    members = await services.catalogue.members(cohort_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", *MEMBER_FIELDS])
    for m in members:
        writer.writerow([m["id"], *(safe_cell(str(m[k])) for k in MEMBER_FIELDS)])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="roster-{cohort_id}.csv"'},
    )
