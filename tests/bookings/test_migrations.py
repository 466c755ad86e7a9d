"""The migrations build exactly the tables the code declares, and go down and up again."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from services.bookings.persistence.tables import metadata
from shared.messaging.schema import messaging_metadata
from shared.migrations import alembic_config, migrate
from shared.scheduled_jobs import jobs_metadata
from tests.support.infra import PG_HOST, PG_PORT, pg_url


async def test_migrations_match_the_tables_and_downgrade_cleanly() -> None:
    name = f"t_mig_{uuid.uuid4().hex[:8]}"
    url = pg_url(name)
    try:
        await migrate("bookings", url)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                diff = await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}),
                        _all_metadata(),
                    )
                )
        finally:
            await engine.dispose()
        assert diff == []
        cfg = alembic_config("bookings", url)
        await asyncio.to_thread(command.downgrade, cfg, "0001")
        await asyncio.to_thread(command.upgrade, cfg, "head")
    finally:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres"
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _all_metadata() -> sa.MetaData:
    combined = sa.MetaData()
    for source in (metadata, messaging_metadata, jobs_metadata):
        for table in source.tables.values():
            table.to_metadata(combined)
    return combined
