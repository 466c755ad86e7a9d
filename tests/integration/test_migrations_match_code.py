"""Every service's migrations build exactly the tables its code declares, and go down to
base and up to head again."""

from __future__ import annotations

import asyncio
import importlib
import uuid

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import SERVICES, alembic_config, migrate
from tests.support.infra import PG_HOST, PG_PORT, pg_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


def declared_by(service: str) -> tuple[sa.MetaData, ...]:
    module = importlib.import_module(f"services.{service}.persistence.schema")
    declared: tuple[sa.MetaData, ...] = module.database_metadata
    return declared


async def differences(url: str, declared: tuple[sa.MetaData, ...]) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: _compare(sync, declared))
    finally:
        await engine.dispose()


def _compare(sync: sa.Connection, declared: tuple[sa.MetaData, ...]) -> list[object]:
    context = MigrationContext.configure(
        sync, opts={"compare_type": True, "compare_server_default": True}
    )
    # One MetaData: alembic's types accept no list of them.
    combined = sa.MetaData()
    for metadata in declared:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    found: list[object] = list(compare_metadata(context, combined))
    # Alembic does not compare check constraints: compare them by name (PostgreSQL rewrites
    # their text, so the text itself cannot be compared).
    inspector = sa.inspect(sync)
    for table in combined.tables.values():
        in_code = {
            str(c.name) for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        in_db = {str(c["name"]) for c in inspector.get_check_constraints(table.name)}
        if in_code != in_db:
            found.append(("check_constraints", table.name, sorted(in_code ^ in_db)))
    return found


@pytest.mark.parametrize("service", SERVICES)
async def test_head_matches_the_code_and_base_round_trips(service: str) -> None:
    name = f"t_mig_{service}_{uuid.uuid4().hex[:8]}"
    url = pg_url(name)
    try:
        await migrate(service, url)
        assert await differences(url, declared_by(service)) == []
        cfg = alembic_config(service, url)
        await asyncio.to_thread(command.downgrade, cfg, "base")
        await asyncio.to_thread(command.upgrade, cfg, "head")
        assert await differences(url, declared_by(service)) == []
    finally:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
