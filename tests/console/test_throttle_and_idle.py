"""Failed sign-ins are throttled per account and per address; a session idle too long ends."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa

from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from services.console.persistence.tables import sessions
from shared.db import Database, make_engine
from tests.console.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, sign_in
from tests.support.system import System

pytestmark = pytest.mark.asyncio(loop_scope="session")
# Read by the console_system fixture.
CONSOLE_ENV = {"SIGNIN_FAILURES_PER_ACCOUNT": "3", "SIGNIN_FAILURES_PER_ADDRESS": "8"}
PASSWORD = "the right password here"


async def _db(system: System) -> Database:
    return Database(make_engine(system.infra.database_urls["console"], pool_size=1), producer="t")


async def _account(system: System) -> str:
    email = f"t-{uuid.uuid4().hex[:8]}@example.org"
    db = await _db(system)
    try:
        async with db.unit_of_work() as uow:
            await accounts.create(
                uow, email=email, name="T", roles=["staff"], password_hash=hash_password(PASSWORD)
            )
            await uow.commit()
    finally:
        await db.dispose()
    return email


def _failed_signins(metrics: str, reason: str) -> float:
    prefix = f'console_signins_failed_total{{reason="{reason}"}} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


async def test_an_account_is_throttled_after_its_failures(console_system: System) -> None:
    email = await _account(console_system)
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        before = (await client.get("/metrics")).text
        for _ in range(3):
            assert (await sign_in(client, email, "wrong")).status_code == 401
        # Even the right password is refused now, and says why.
        blocked = await sign_in(client, email, PASSWORD)
        assert blocked.status_code == 429 and "Too many failed sign-ins" in blocked.text
        # Operations see the guessing in the metrics.
        after = (await client.get("/metrics")).text
        assert _failed_signins(after, "wrong") - _failed_signins(before, "wrong") == 3
        assert _failed_signins(after, "throttled") - _failed_signins(before, "throttled") == 1
        # Another account from the same address is not blocked by this one's failures.
        other = await _account(console_system)
        assert (await sign_in(client, other, PASSWORD)).status_code == 303


async def test_a_session_idle_too_long_is_over(console_system: System) -> None:
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        assert (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 303
        assert (await client.get("/")).status_code == 200
        db = await _db(console_system)
        try:
            async with db.unit_of_work() as uow:
                await uow.execute(
                    sa.update(sessions).values(
                        last_seen_at=sa.func.now() - sa.text("interval '31 minutes'")
                    )
                )
                await uow.commit()
        finally:
            await db.dispose()
        assert (await client.get("/")).status_code == 303


async def test_an_address_is_throttled_after_its_failures(console_system: System) -> None:
    # Runs last in this module: afterwards this address cannot sign in for the window.
    async with httpx.AsyncClient(base_url=console_system.url("console"), timeout=20) as client:
        for _ in range(8):
            await sign_in(client, f"nobody-{uuid.uuid4().hex[:6]}@example.org", "wrong")
        blocked = await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert blocked.status_code == 429
