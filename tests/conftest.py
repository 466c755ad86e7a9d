"""Fixtures every ring of tests shares: per-session infrastructure on the real servers, a real
SMTP server, staff tokens, and a way to run a service app in-process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from shared.auth import sign_staff_token
from tests.support.infra import Infra, create_infra, drop_infra
from tests.support.smtp import SmtpSink
from tests.support.staff_keys import PUBLIC_KEY, SIGNING_KEY
from tests.support.system import System, running_system


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def _no_task_outlives_the_session(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Cancel what the session's tests left running, before pytest-asyncio's runner does.

    The runner waits for every cancelled task without a deadline, so one task that survives
    cancellation would hang the whole run (and CI) after the last test. Here the wait has a
    deadline; a survivor is named with its stack and the run ends with the tests' verdict."""
    yield
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in left:
        task.cancel()
    _, pending = await asyncio.wait(left, timeout=20) if left else (set(), set())
    if pending:
        for task in pending:
            print(f"\nconftest: a task survived cancellation: {task!r}", file=sys.__stderr__)
            task.print_stack(file=sys.__stderr__)
        sys.stdout.flush()
        sys.__stderr__.flush()
        os._exit(1 if request.session.testsfailed else 0)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def infra() -> AsyncIterator[Infra]:
    made = await create_infra()
    try:
        yield made
    finally:
        await drop_infra(made)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(request) -> AsyncIterator[System]:  # type: ignore[no-untyped-def]
    """The three services as OS processes, shared by the tests of one module."""
    folder = request.module.__name__.split(".", 1)[-1].replace(".", "/")
    async with running_system(folder) as made:
        yield made


@pytest_asyncio.fixture(loop_scope="session")
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = await SmtpSink().start()
    try:
        yield sink
    finally:
        await sink.stop()


def token(
    *roles: str,
    key: str = SIGNING_KEY,
    ttl: timedelta = timedelta(hours=1),
    subject: str = "local-staff",
    name: str | None = None,
    programmes: list[str] | None = None,
) -> str:
    """A staff token signed with this session's key (or `key`, to play a forger)."""
    return sign_staff_token(
        key, subject=subject, roles=roles, name=name, programmes=programmes, ttl=ttl
    )


@pytest.fixture(scope="session")
def staff_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {token('staff')}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (database, broker, relay, consumers) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def settings_for(service: str, infra: Infra, **overrides: object):  # type: ignore[no-untyped-def]
    """A service's settings pointed at this session's databases and vhost, with fast retries."""
    from services.bookings.settings import BookingsSettings
    from services.catalogue.settings import CatalogueSettings
    from services.notifications.settings import NotificationsSettings

    cls = {
        "catalogue": CatalogueSettings,
        "bookings": BookingsSettings,
        "notifications": NotificationsSettings,
    }[service]
    values: dict[str, object] = {
        "environment": "test",
        "database_url": infra.database_urls[service],
        "amqp_url": infra.amqp_url,
        "retry_delays": [0.1, 0.2],
        "outbox_poll_interval": 0.2,
        "staff_token_public_key": PUBLIC_KEY,
    }
    if service == "bookings":
        # Tests send many requests from one address; rate limiting has tests of its own.
        values["rate_limit_enabled"] = False
    if service == "notifications":
        # Most campaign tests invite made-up addresses; tests/privacy checks the rule itself.
        values["campaign_contact_reason_required"] = False
    values.update(overrides)
    return cls(**values)
