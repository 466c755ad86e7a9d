"""Sign-in (password or OpenID Connect) and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from services.console.auth import oidc
from services.console.auth.web import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    CurrentStaff,
    check_csrf,
    console_router,
    current_staff,
    db_of,
    keep_presession,
    presession_value,
    safe_next,
    set_session_cookie,
    settings_of,
)
from services.console.domain import roles
from services.console.pages.common import redirect, render
from services.console.persistence import sessions
from services.console.persistence.tables import oidc_flows
from services.console.usecases import signin as usecase

router = APIRouter(dependencies=[Depends(check_csrf)], include_in_schema=False)
signed_in_router = console_router(roles.ANY)

Text = Annotated[str, Form(max_length=1000)]


def _client(request: Request) -> usecase.Client:
    address = request.client.host if request.client else "unknown"
    return usecase.Client(address, request.headers.get("user-agent", ""))


def _signin_page(
    request: Request,
    *,
    status_code: int = 200,
    error: str = "",
    email: str = "",
    next_url: str = "/",
) -> Response:
    token = presession_value(request)
    response = render(
        request,
        "signin.html",
        status_code=status_code,
        error=error,
        email=email,
        next_url=safe_next(next_url),
        oidc_enabled=settings_of(request).oidc_enabled,
        oidc_name=settings_of(request).oidc_display_name,
        csrf_token=token,
    )
    keep_presession(request, response, token)
    return response


@router.get("/signin")
async def signin_form(
    request: Request, next: Annotated[str, Query(max_length=2000)] = "/"
) -> Response:
    """The sign-in page."""
    if await current_staff(request):
        return redirect(safe_next(next))
    return _signin_page(request, next_url=next)


@router.post("/signin")
async def signin(
    request: Request, email: Text = "", password: Text = "", next: Text = "/"
) -> Response:
    """Check the password (throttled per account and per address) and start a session."""
    try:
        cookie = await usecase.sign_in_with_password(
            db_of(request), settings_of(request), email, password, _client(request)
        )
    except usecase.Throttled as exc:
        return _signin_page(
            request,
            status_code=429,
            email=email,
            next_url=next,
            error=f"Too many failed sign-ins. Try again in {exc.minutes} minutes.",
        )
    if cookie is None:
        return _signin_page(
            request,
            status_code=401,
            email=email,
            next_url=next,
            error="That email and password do not match an active account.",
        )
    response = redirect(safe_next(next))
    set_session_cookie(request, response, cookie)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@signed_in_router.post("/signout")
async def signout(request: Request, staff: CurrentStaff) -> Response:
    """End this session."""
    await usecase.sign_out(db_of(request), staff.account, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/signin", "signed-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/signin/oidc")
async def oidc_begin(request: Request) -> Response:
    """Send the browser to the organisation's identity provider."""
    settings = settings_of(request)
    if not settings.oidc_enabled:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Not configured",
            message="Sign-in with an identity provider is not configured here.",
        )
    try:
        flow = await oidc.begin(request.app.state.http, settings)
    except oidc.OidcFailed as exc:
        return _signin_page(request, status_code=503, error=str(exc))
    response = redirect(flow.url)
    browser = presession_value(request)
    keep_presession(request, response, browser)
    async with db_of(request).unit_of_work() as uow:
        await uow.execute(
            oidc_flows.insert().values(
                state=flow.state,
                nonce=flow.nonce,
                code_verifier=flow.code_verifier,
                browser_hash=sessions.digest(browser),
            )
        )
        await uow.commit()
    return response


@router.get("/signin/oidc/callback")
async def oidc_callback(
    request: Request,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Where the provider sends the browser back: check the flow, then start a session."""
    settings = settings_of(request)
    async with db_of(request).unit_of_work() as uow:
        # One use only: the flow is deleted as it is read.
        row = (
            await uow.execute(
                oidc_flows.delete().where(oidc_flows.c.state == state).returning(oidc_flows)
            )
        ).first()
        await uow.commit()
    browser = request.cookies.get(PRESESSION_COOKIE, "")
    if row is None or not code or row.browser_hash != sessions.digest(browser):
        return _signin_page(
            request, status_code=400, error="That sign-in link is not valid any more. Try again."
        )
    try:
        identity = await oidc.finish(
            request.app.state.http, settings, code=code, nonce=row.nonce, verifier=row.code_verifier
        )
        account = await usecase.account_for_identity(db_of(request), settings, identity)
    except oidc.OidcFailed as exc:
        return _signin_page(request, status_code=400, error=str(exc))
    except usecase.NoConsoleRole:
        return _signin_page(
            request,
            status_code=403,
            error="You signed in, but your account has no console role. Ask an administrator.",
        )
    cookie = await usecase.start_session(
        db_of(request), settings, account, "oidc", _client(request)
    )
    response = redirect("/")
    set_session_cookie(request, response, cookie)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response
