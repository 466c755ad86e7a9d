"""The catalogue's migrations build exactly the tables the code declares, and go down and up."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.catalogue.persistence.tables import metadata
from shared.messaging.schema import messaging_metadata
from shared.migrations import alembic_config, migrate
from tests.support.infra import PG_HOST, PG_PORT, pg_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def differences(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    [metadata, messaging_metadata],
                )
            )
    finally:
        await engine.dispose()


async def test_head_matches_the_tables_and_downgrade_round_trips() -> None:
    name = f"t_catalogue_migrations_{uuid.uuid4().hex[:8]}"
    url = pg_url(name)
    try:
        await migrate("catalogue", url)
        assert await differences(url) == []
        cfg = alembic_config("catalogue", url)
        await asyncio.to_thread(command.downgrade, cfg, "0001")
        await asyncio.to_thread(command.upgrade, cfg, "head")
        assert await differences(url) == []
    finally:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
