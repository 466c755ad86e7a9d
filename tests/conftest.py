"""Fixtures every ring of tests shares: per-session infrastructure on the real servers, a real
SMTP server, staff tokens, and a way to run a service app in-process."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from shared.auth import sign_staff_token
from tests.support.infra import Infra, create_infra, drop_infra
from tests.support.rabbit_node import kill_leftover_nodes
from tests.support.smtp import SmtpSink
from tests.support.staff_keys import PUBLIC_KEY, SIGNING_KEY
from tests.support.system import System, running_system


def _describe(task: asyncio.Task[object]) -> str:
    out = io.StringIO()
    task.print_stack(limit=8, file=out)
    return out.getvalue()


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def _no_task_outlives_the_session() -> AsyncIterator[None]:
    """Fail the run if a task (or a test-owned RabbitMQ node) is still running when every
    fixture has been torn down.

    Each fixture stops what it started, so a task left here is a bug in the test or fixture
    that made it (its name and stack say which). It is cancelled with a deadline: pytest-asyncio
    then closes the loop by waiting, without one, for every task, so one that survives
    cancellation is also taken off the loop's list, and the run ends with pytest's summary
    (this error in it) instead of hanging."""
    yield
    problems = []
    if nodes := kill_leftover_nodes():
        problems.append(f"RabbitMQ nodes left running by the tests (now killed): {nodes}")
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    if left:
        report = [_describe(task) for task in left]
        for task in left:
            task.cancel()
        _, survivors = await asyncio.wait(left, timeout=20)
        for task in survivors:
            asyncio.tasks._unregister_task(task)  # private, but the only way not to hang the close
        problems.append(
            f"{len(left)} task(s) outlived the session's fixtures "
            f"({len(survivors)} survived cancellation):\n" + "\n".join(report)
        )
    assert not problems, "\n".join(problems)


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
        # Tests read what a service emitted from its outbox, so published rows are kept (the
        # relay's own tests check the default, deleted once confirmed).
        "outbox_retention": 86400,
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
