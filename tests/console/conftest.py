"""Fixtures for the console's tests: the three services and the console as processes, the
demo admin, and a signed-in HTTP client (the console's own forms, CSRF token included)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from services.console.settings import ConsoleSettings
from services.console.usecases.staff_accounts import ensure_demo_admin
from shared.db import Database, make_engine
from tests.support.system import System, running_system

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "console-test-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make_admin(system: System) -> None:
    db = Database(make_engine(system.infra.database_urls["console"], pool_size=1), producer="t")
    try:
        await ensure_demo_admin(db, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    finally:
        await db.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console_system(request) -> AsyncIterator[System]:  # type: ignore[no-untyped-def]
    folder = request.module.__name__.split(".", 1)[-1].replace(".", "/")
    env = getattr(request.module, "CONSOLE_ENV", {})
    async with running_system(folder, console=True, **env) as made:
        await make_admin(made)
        yield made


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/signin")
    return await client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
    )


@pytest_asyncio.fixture(loop_scope="session")
async def admin(console_system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        answer = await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert answer.status_code == 303, answer.text
        yield client


def console_settings(system: System) -> ConsoleSettings:
    return ConsoleSettings(database_url=system.infra.database_urls["console"])
