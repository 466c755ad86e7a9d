"""A PostgreSQL that refuses sessions for now (every connection slot taken) is the
infrastructure's failure: callers get a 503 and consumers wait it out, never a 500 or a park."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from shared.messaging.transient import is_transient
from tests.support.infra import PG_HOST, PG_PORT, pg_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def full_role() -> AsyncIterator[str]:
    """A role whose connection limit is reached before it connects: the server answers
    53300 "too many connections", as it does when max_connections is used up."""
    role = f"full_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        yield role
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


async def test_too_many_connections_is_transient_through_sqlalchemy(full_role: str) -> None:
    engine = create_async_engine(
        pg_url("postgres").replace("postgres@", f"{full_role}@", 1), pool_size=1
    )
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()
    assert getattr(raised.value.orig, "sqlstate", None) == "53300"
    assert is_transient(raised.value)


async def test_too_many_connections_is_transient_through_asyncpg(full_role: str) -> None:
    with pytest.raises(asyncpg.PostgresError) as raised:
        await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=full_role, database="postgres")
    assert is_transient(raised.value)


async def test_a_statement_error_is_not_transient() -> None:
    engine = create_async_engine(pg_url("postgres"), pool_size=1)
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT * FROM no_such_table"))
    finally:
        await engine.dispose()
    assert not is_transient(raised.value)


async def test_a_pool_with_no_free_connection_in_time_is_transient() -> None:
    # Every connection of the process busy for pool_timeout (a loaded machine): a 503 to try
    # again, not a 500 (seen once under load in the two-process option-groups test).
    engine = create_async_engine(pg_url("postgres"), pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with engine.connect() as held:
            await held.execute(sa.text("SELECT 1"))
            with pytest.raises(sa.exc.TimeoutError) as raised:
                async with engine.connect() as conn:
                    await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()
    assert is_transient(raised.value)


async def test_a_deadlock_victim_is_transient() -> None:
    engine = create_async_engine(pg_url("postgres"), pool_size=2)
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised:
            async with engine.connect() as conn:
                # The server's own deadlock error, raised as PostgreSQL raises it.
                await conn.execute(
                    sa.text(
                        "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$"
                    )
                )
    finally:
        await engine.dispose()
    assert getattr(raised.value.orig, "sqlstate", None) == "40P01"
    assert is_transient(raised.value)
