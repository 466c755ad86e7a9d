"""The three services in-process on this session's databases and vhost, for the tests that
need all of them answering HTTP at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest_asyncio

from services.bookings.app import create_app as bookings_app
from services.catalogue.app import create_app as catalogue_app
from services.notifications.app import create_app as notifications_app
from tests.conftest import running, settings_for
from tests.support.infra import Infra


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def clients(infra: Infra) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        made = {
            "catalogue": await stack.enter_async_context(
                running(catalogue_app(settings_for("catalogue", infra)))
            ),
            "bookings": await stack.enter_async_context(
                running(bookings_app(settings_for("bookings", infra)))
            ),
            "notifications": await stack.enter_async_context(
                running(notifications_app(settings_for("notifications", infra)))
            ),
        }
        yield made
