"""Who is asking: the session behind the cookie, the role a page needs, and the CSRF token
every form must carry. Pages declare what they need through `console_router(needed)`."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from services.console.domain.roles import allowed
from services.console.persistence import accounts
from services.console.persistence import sessions as store
from services.console.persistence.accounts import Account
from services.console.settings import ConsoleSettings
from shared.db import Database

SESSION_COOKIE = "console_session"
# Before sign-in there is no session to hold the CSRF token: the sign-in form uses a
# double-submit cookie instead (HttpOnly; the same value rides in the form).
PRESESSION_COOKIE = "console_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class NotAllowed(Exception):
    """A signed-in person whose roles do not open this page."""


class CsrfRefused(Exception):
    """A form without the token this session (or this browser) was given."""


@dataclass(frozen=True)
class Staff:
    account: Account
    csrf_token: str
    session_hash: str
    method: str


def settings_of(request: Request) -> ConsoleSettings:
    return request.app.state.settings


def db_of(request: Request) -> Database:
    return request.app.state.runtime.db


async def current_staff(request: Request) -> Staff | None:
    """The signed-in person, once per request; None for a visitor or an ended session."""
    if hasattr(request.state, "staff"):
        return request.state.staff
    found: Staff | None = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        idle = timedelta(minutes=settings_of(request).session_idle_minutes)
        async with db_of(request).unit_of_work() as uow:
            session = await store.resume(uow, cookie, idle=idle)
            account = await accounts.get(uow, session.account_id) if session else None
            await uow.commit()
        if session and account and account.active:
            found = Staff(account, session.csrf_token, session.id_hash, session.method)
    request.state.staff = found
    return found


def require(needed: frozenset[str]) -> Callable[[Request], Awaitable[Staff]]:
    async def dependency(request: Request) -> Staff:
        staff = await current_staff(request)
        if staff is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target if request.method == "GET" else "/")
        if not allowed(staff.account.roles, needed):
            raise NotAllowed()
        return staff

    dependency.needed_roles = needed  # type: ignore[attr-defined]
    return dependency


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and hmac.compare_digest(str(a), str(b))


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries `csrf_token` in its form, equal (in constant time) to the
    session's token, or before sign-in to this browser's pre-session cookie."""
    if request.method not in UNSAFE:
        return
    form = await request.form()
    sent = form.get("csrf_token")
    sent = sent if isinstance(sent, str) else None
    staff = await current_staff(request)
    expected = staff.csrf_token if staff else request.cookies.get(PRESESSION_COOKIE)
    if not _same(sent, expected):
        raise CsrfRefused()


def console_router(needed: frozenset[str]) -> APIRouter:
    """A router whose every route needs a session with one of `needed` roles and, for every
    change, the CSRF token."""
    return APIRouter(
        dependencies=[Depends(require(needed)), Depends(check_csrf)], include_in_schema=False
    )


def presession_value(request: Request) -> str:
    """This browser's pre-session CSRF token (a new one when it has none yet)."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)


def keep_presession(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        PRESESSION_COOKIE,
        token,
        httponly=True,
        secure=settings_of(request).secure_cookies,
        samesite="lax",
        path="/",
    )


def set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        secure=settings_of(request).secure_cookies,
        samesite="lax",
        path="/",
    )


def safe_next(value: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://...`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def signin_url(next_url: str) -> str:
    return f"/signin?next={quote(safe_next(next_url), safe='')}"


CurrentStaff = Annotated[Staff, Depends(require(frozenset({"admin", "staff", "checkin", "ops"})))]
