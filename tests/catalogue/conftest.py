"""Fixtures for the catalogue's integration tests: the app running in-process against this
session's database and vhost, its database for direct use, and staff headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalogue.app import create_app
from shared.db import Database, make_engine
from tests.conftest import running, settings_for
from tests.support.infra import Infra


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings_for("catalogue", infra))) as http:
        yield http


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def db(infra: Infra) -> AsyncIterator[Database]:
    database = Database(
        make_engine(infra.database_urls["catalogue"], pool_size=4), producer="catalogue"
    )
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def engine(db: Database) -> AsyncEngine:
    return db.engine
