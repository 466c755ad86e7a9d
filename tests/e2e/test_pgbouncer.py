"""The pooler path of a scaled-out deployment: bookings and notifications reach PostgreSQL
through PgBouncer in transaction mode (DATABASE_TRANSACTION_POOLER=true, so asyncpg and
SQLAlchemy cache no prepared statements), and a booking and its confirmation email go through
it: every connection, the senders' leased claims included, goes through the pooler."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.e2e.test_booking_flow import publish_event
from tests.support.pgbouncer import PgBouncer
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def pgbouncer() -> AsyncIterator[PgBouncer]:
    # A small server pool: a dozen clients share a few server connections, so prepared
    # statements left behind by one client would meet another client's (the failure mode).
    bouncer = await PgBouncer(pool_size=3).start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


def transactions(bouncer: PgBouncer, database: str) -> int:
    return sum(
        int(row["total_xact_count"]) for row in bouncer.show("STATS") if row["database"] == database
    )


async def test_a_booking_and_its_email_through_pgbouncer(
    system: System, pgbouncer: PgBouncer
) -> None:
    databases = {}
    for service in ("bookings", "notifications"):
        databases[service] = system.infra.database_urls[service].rsplit("/", 1)[-1]
        system.services[service].stop()
        system.start(
            service,
            DATABASE_URL=pgbouncer.url(databases[service]),
            DATABASE_TRANSACTION_POOLER="true",
        )
    await asyncio.gather(*(system.services[s].wait_ready() for s in databases))
    before = {s: transactions(pgbouncer, db) for s, db in databases.items()}
    async with httpx.AsyncClient(timeout=15) as client:
        event_id = await publish_event(client, system, capacity=20, title="Pooled day")
        bookings = system.url("bookings")

        async def replicated() -> bool:
            return (await client.get(f"{bookings}/public/events/{event_id}")).status_code == 200

        await wait_for(replicated, timeout=30, message="event replicated through the pooler")
        emails = [f"pooled-{i}-{uuid.uuid4().hex[:6]}@example.org" for i in range(12)]
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{bookings}/public/events/{event_id}/bookings",
                    json={"name": "Pooled Booker", "email": email, "organisation": "Council"},
                )
                for email in emails
            )
        )
    assert [a.status_code for a in answers] == [201] * len(emails), [a.text for a in answers]
    await wait_for(
        lambda: all(system.smtp.to(e) for e in emails),
        timeout=60,
        interval=0.3,
        message="a confirmation for every booking, sent by a process behind the pooler",
    )
    assert [e for e in emails if len(system.smtp.to(e)) != 1] == []
    # It really went through PgBouncer, and nothing tripped over a prepared statement.
    after = {s: transactions(pgbouncer, db) for s, db in databases.items()}
    assert all(after[s] > before[s] for s in databases), (before, after)
    assert "prepared statement" not in pgbouncer.log()
    for service in databases:
        errors = [
            line
            for line in system.services[service].log_lines()
            if "prepared statement" in str(line.get("error", "")) + str(line.get("exception", ""))
        ]
        assert errors == [], errors[:3]
