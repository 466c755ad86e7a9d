"""Backups and restores, as docs/operations.md tells them: back up notifications, let the
system move on (bookings, a cancellation, a new event, a campaign), restore the old backup,
run the owners' resync commands, and the replicas match again with no email sent twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import token
from tests.e2e.test_booking_flow import publish_event
from tests.support.processes import ROOT
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

STAFF = {"Authorization": f"Bearer {token('staff')}"}
OPS = {"Authorization": f"Bearer {token('ops')}"}


def libpq_url(system: System, service: str) -> str:
    """The service's DATABASE_URL as the PostgreSQL tools take it."""
    return system.infra.database_urls[service].replace("postgresql+asyncpg://", "postgresql://")


def run(*cmd: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


def backup(system: System, service: str, path: Path) -> None:
    # The documented command: custom format, no owner or privileges (restorable anywhere).
    run("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
        f"--file={path}", libpq_url(system, service))  # fmt: skip


def restore(system: System, service: str, path: Path) -> None:
    run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
        "--single-transaction", f"--dbname={libpq_url(system, service)}", str(path))  # fmt: skip


async def _connect(system: System, service: str) -> asyncpg.Connection:
    url = make_url(system.infra.database_urls[service])
    return await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )


async def _rows(system: System, service: str, sql: str) -> set[tuple]:  # type: ignore[type-arg]
    conn = await _connect(system, service)
    try:
        return {tuple(row) for row in await conn.fetch(sql)}
    finally:
        await conn.close()


async def booking_versions(system: System) -> tuple[set, set]:  # type: ignore[type-arg]
    owned = await _rows(system, "bookings", "SELECT id, version, status FROM bookings")
    replica = await _rows(
        system, "notifications", "SELECT booking_id, version, status FROM bookings"
    )
    return owned, replica


async def event_versions(system: System) -> tuple[set, set]:  # type: ignore[type-arg]
    owned = await _rows(
        system, "catalogue", "SELECT id, version FROM events WHERE status <> 'draft'"
    )
    replica = await _rows(system, "notifications", "SELECT event_id, version FROM events")
    return owned, replica


async def _book(client: httpx.AsyncClient, system: System, event_id: str, email: str) -> dict:  # type: ignore[type-arg]
    answer = await client.post(
        f"{system.url('bookings')}/public/events/{event_id}/bookings",
        json={"name": "Restore Tester", "email": email, "organisation": "Wigan Council"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def _sent(system: System, email: str) -> bool:
    conn = await _connect(system, "notifications")
    try:
        states = await conn.fetch("SELECT state FROM deliveries WHERE recipient = $1", email)
    finally:
        await conn.close()
    return bool(states) and all(row["state"] == "sent" for row in states)


def _resync(system: System, service: str) -> None:
    run(sys.executable, "-m", f"services.{service}.resync", env=system.base_env(service))


async def test_restore_an_old_backup_of_notifications_then_resync(
    system: System, tmp_path: Path
) -> None:
    smtp = system.smtp
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(timeout=15) as client:
        event_id = await publish_event(client, system, capacity=50, title="Restore day")

        async def bookable(event: str) -> bool:
            return (
                await client.get(f"{system.url('bookings')}/public/events/{event}")
            ).status_code == 200

        await wait_for(lambda: bookable(event_id), timeout=20, message="event replicated")
        first = f"first-{tag}@example.org"
        booked_first = await _book(client, system, event_id, first)
        await wait_for(lambda: _sent(system, first), timeout=30, message="first email sent")

        dump = tmp_path / "notifications.dump"
        await asyncio.to_thread(backup, system, "notifications", dump)

        # The system moves on after the backup.
        later = [f"later{i}-{tag}@example.org" for i in range(2)]
        for email in later:
            await _book(client, system, event_id, email)
        cancelled = await client.post(
            f"{system.url('bookings')}/public/bookings/{booked_first['manage_token']}/cancel"
        )
        assert cancelled.status_code == 200, cancelled.text
        second_event = await publish_event(client, system, capacity=5, title="After the backup")
        invitees = [f"invitee{i}-{tag}@example.org" for i in range(3)]

        async def campaign() -> dict | None:  # type: ignore[type-arg]
            answer = await client.post(
                f"{system.url('notifications')}/staff/campaigns",
                json={
                    "event_id": second_event,
                    "subject": "You are invited",
                    "audience": {"emails": invitees},
                },
                headers=STAFF,
            )
            if answer.status_code == 422 and "event_id" in answer.text:
                return None  # the event is still on its way
            assert answer.status_code == 201, answer.text
            return answer.json()  # type: ignore[no-any-return]

        made = await wait_for(campaign, timeout=20, message="campaign created")
        launched = await client.post(
            f"{system.url('notifications')}/staff/campaigns/{made['id']}/launch", headers=STAFF
        )
        assert launched.status_code == 200, launched.text
        everyone = [first, *later, *invitees]
        for email in everyone:
            await wait_for(lambda e=email: _sent(system, e), timeout=40, message=f"{email} sent")
        await wait_for(lambda: len(smtp.to(first)) == 2, timeout=20, message="cancellation email")
        before_restore = Counter(
            (rcpt, str(r.message["Subject"])) for r in smtp.received for rcpt in r.rcpt_tos
        )

        # Restore the old backup while notifications is stopped, then start it again.
        system.services["notifications"].stop()
        await asyncio.to_thread(restore, system, "notifications", dump)
        restored_at = datetime.now(UTC)
        await system.start("notifications").wait_ready()
        owned, replica = await booking_versions(system)
        assert owned != replica, "the restore should have put the replica behind"

        # The command for one owner, the ops API for the other: the same function behind both.
        await asyncio.to_thread(_resync, system, "catalogue")
        answer = await client.post(f"{system.url('bookings')}/ops/resync", headers=OPS)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"service": "bookings", "messages": 3}

        async def converged() -> bool:
            bookings_match = await booking_versions(system)
            events_match = await event_versions(system)
            return bookings_match[0] == bookings_match[1] and events_match[0] == events_match[1]

        await wait_for(converged, timeout=60, message="notifications' replicas match again")

        # Everything the resync sent is handled (nothing waiting or unacked), and the sink got
        # nothing new: no booker, cancelled booker or invitee heard twice.
        async def drained() -> bool:
            answer = await client.get(
                f"{system.url('notifications')}/ops/queues",
                headers=OPS,
            )
            return all(q["ready"] == 0 for q in answer.json())

        await wait_for(drained, timeout=30, message="notifications queues drained")
        # An email is a delivery row written with the replica update that called for it.
        conn = await _connect(system, "notifications")
        try:
            queued = await conn.fetchval(
                "SELECT count(*) FROM deliveries WHERE created_at >= $1", restored_at
            )
        finally:
            await conn.close()
        assert queued == 0, "the resync must not queue any email"
        after = Counter(
            (rcpt, str(r.message["Subject"])) for r in smtp.received for rcpt in r.rcpt_tos
        )
    assert after == before_restore
    assert all(count == 1 for count in after.values()), after
    audit = await _rows(
        system,
        "bookings",
        "SELECT convert_from(body, 'UTF8')::jsonb -> 'payload' ->> 'action' FROM outbox "
        "WHERE routing_key = 'bookings.staff_action.recorded'",
    )
    assert ("replicas.resynced",) in audit
