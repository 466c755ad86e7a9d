"""People and roles (admins only): staff accounts, their roles and programme limits, their
sessions, each revocable."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from services.console.auth.web import Staff, console_router, db_of, require, settings_of
from services.console.domain import roles
from services.console.domain.roles import ROLE_LABELS, ROLES
from services.console.pages.common import ServicesDep, form_of, redirect, render
from services.console.pages.panels import panel
from services.console.persistence import accounts
from services.console.usecases import staff_accounts as usecase

router = console_router(roles.ADMIN)


async def _admin(request: Request) -> Staff:
    return await require(roles.ADMIN)(request)


async def _programmes(services: ServicesDep) -> tuple[list[tuple[str, str]], str]:
    found = await panel(services.catalogue.programmes())
    return [(str(p["id"]), p["name"]) for p in found.data or []], found.problem


async def _list_page(
    request: Request,
    services: ServicesDep,
    *,
    errors: dict[str, str] | None = None,
    values: Mapping[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    async with db_of(request).unit_of_work() as uow:
        listed = await accounts.listing(uow)
    programmes, problem = await _programmes(services)
    return render(
        request,
        "staff.html",
        status_code=status_code,
        title="Staff",
        accounts=listed,
        role_labels=ROLE_LABELS,
        roles=ROLES,
        programmes=programmes,
        programme_problem=problem,
        programme_names=dict(programmes),
        errors=errors or {},
        values=values or {},
    )


@router.get("/staff")
async def staff_list(request: Request, services: ServicesDep) -> Response:
    """Every staff account with roles, programme limits, state and last sign-in."""
    return await _list_page(request, services)


@router.post("/staff")
async def add_staff(request: Request, services: ServicesDep) -> Response:
    """Add a person: with a password, or to sign in through the organisation's provider."""
    admin = await _admin(request)
    form = await form_of(request)
    raw = await request.form()
    chosen_roles = [str(r) for r in raw.getlist("roles")]
    chosen_programmes = [str(p) for p in raw.getlist("programmes")]
    try:
        await usecase.add(
            db_of(request),
            admin.account,
            email=form.get("email", ""),
            name=form.get("name", ""),
            roles=chosen_roles,
            programmes=chosen_programmes,
            password=str(raw.get("password") or ""),
        )
    except usecase.Refused as exc:
        values = {**form, "roles": chosen_roles, "programmes": chosen_programmes}
        return await _list_page(
            request, services, errors={exc.field: exc.message}, values=values, status_code=422
        )
    return redirect("/staff", "account-created")


async def _account_page(
    request: Request,
    services: ServicesDep,
    account_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    async with db_of(request).unit_of_work() as uow:
        account = await accounts.get(uow, account_id)
    if account is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Not found",
            message="No such staff account.",
        )
    live = await usecase.sessions_of(
        db_of(request), account_id, settings_of(request).session_idle_minutes
    )
    programmes, problem = await _programmes(services)
    return render(
        request,
        "staff_account.html",
        status_code=status_code,
        title=account.name,
        account=account,
        sessions=live,
        roles=ROLES,
        role_labels=ROLE_LABELS,
        programmes=programmes,
        programme_problem=problem,
        errors=errors or {},
    )


@router.get("/staff/{account_id}")
async def staff_account(request: Request, account_id: uuid.UUID, services: ServicesDep) -> Response:
    """One person's roles, programme limits, state and live sessions."""
    return await _account_page(request, services, account_id)


@router.post("/staff/{account_id}")
async def change_staff(request: Request, account_id: uuid.UUID, services: ServicesDep) -> Response:
    """Save roles, programmes, state and (optionally) a new password."""
    admin = await _admin(request)
    form = await form_of(request)
    raw = await request.form()
    try:
        await usecase.change(
            db_of(request),
            admin.account,
            account_id,
            name=form.get("name", ""),
            roles=[str(r) for r in raw.getlist("roles")],
            programmes=[str(p) for p in raw.getlist("programmes")],
            state=form.get("state", ""),
            password=str(raw.get("password") or ""),
        )
    except usecase.Refused as exc:
        return await _account_page(
            request, services, account_id, errors={exc.field: exc.message}, status_code=422
        )
    return redirect(f"/staff/{account_id}", "account-saved")


@router.post("/staff/{account_id}/sessions/end")
async def end_sessions(request: Request, account_id: uuid.UUID) -> Response:
    """End every session of this person: they must sign in again."""
    admin = await _admin(request)
    await usecase.end_sessions(db_of(request), admin.account, account_id)
    return redirect(f"/staff/{account_id}", "sessions-ended")
