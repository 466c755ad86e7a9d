"""A notifications process killed (SIGKILL) in the middle of a campaign, then started again:
every invitee gets exactly one email.

The mail server is made to hold every new transaction at MAIL once a share of the campaign has
arrived, so at the moment of the kill the process has emails on the wire (claimed, mid-SMTP),
chunks unacknowledged, and every email the server accepted already recorded. That is the case
our code decides; the one it cannot (a crash in the millisecond between the server's 250 and
the commit that records it) is inherent to SMTP and documented in `sending/recorder.py`.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.persistence.tables import cohort_members, deliveries
from tests.conftest import token
from tests.notifications.conftest import Bus
from tests.notifications.factories import event_state, member
from tests.support.infra import Infra
from tests.support.processes import ROOT, ServiceProcess
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]
STAFF = {"Authorization": f"Bearer {token('staff')}"}
INVITEES, HOLD_AFTER = 240, 80


class HoldingSink(SmtpSink):
    """Accepts `hold_after` emails, then holds every new transaction at MAIL until released."""

    def __init__(self, hold_after: int) -> None:
        super().__init__()
        self.hold_after = hold_after
        self.released = asyncio.Event()
        self.waiting = 0

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if len(self.received) >= self.hold_after and not self.released.is_set():
            self.waiting += 1
            await self.released.wait()
        envelope.mail_from = address
        return "250 OK"


def process(infra: Infra, sink: SmtpSink, logs: Path) -> ServiceProcess:
    return ServiceProcess(
        "notifications",
        {
            **infra.env_for("notifications"),
            "SMTP_PORT": str(sink.port),
            "SEND_RATE": "0",
            "CAMPAIGN_CHUNK_SIZE": "30",
            "CAMPAIGN_CLAIM_BATCH": "10",
            "RETRY_DELAYS": "[0.5, 1, 2, 4]",
            # The killed process's claims are taken over once their lease lapses.
            "CLAIM_LEASE": "2",
            "OUTBOX_POLL_INTERVAL": "0.2",
            "SCHEDULER_INTERVAL": "0.5",
        },
        logs,
    )


async def _states(engine: AsyncEngine, campaign_id: str) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(deliveries.c.state, sa.func.count())
            .where(deliveries.c.campaign_id == uuid.UUID(campaign_id))
            .group_by(deliveries.c.state)
        )
        return {row[0]: row[1] for row in rows}


async def test_killed_mid_campaign_then_restarted_each_invitee_once(
    infra: Infra, bus: Bus, notif_engine: AsyncEngine, tmp_path: Path
) -> None:
    sink = await HoldingSink(HOLD_AFTER).start()
    first = process(infra, sink, tmp_path / "first.log").start()
    second = None
    try:
        await first.wait_ready()
        invitees, campaign = await launched_to_a_new_cohort(bus, notif_engine, first, INVITEES)
        assert campaign["counts"]["recipients"] == INVITEES
        cid = campaign["id"]

        # Killed while emails are held mid-transaction, after the accepted ones are recorded.
        await wait_for(lambda: sink.waiting >= 4, timeout=30, message="sends held at MAIL")
        states = await wait_for(
            lambda: _recorded(notif_engine, cid, len(sink.received)), timeout=10
        )
        assert states.get("sending", 0) >= 4, states  # claimed by the process about to die
        first.kill()
        at_kill = len(sink.received)
        sink.released.set()

        second = process(infra, sink, tmp_path / "second.log").start()
        await second.wait_ready()
        async with httpx.AsyncClient(base_url=second.url, headers=STAFF, timeout=10) as client:
            final = await wait_for(
                lambda: _completed(client, cid), timeout=90, message="campaign completed"
            )
    finally:
        for proc in (first, second):
            if proc and proc.process and proc.process.poll() is None:
                proc.terminate()
        await sink.stop()
    received = sorted(a for r in sink.received for a in r.rcpt_tos)
    assert at_kill < INVITEES
    assert received == sorted(invitees), "each invitee exactly once"
    assert final["counts"]["sent"] == INVITEES and final["counts"]["queued"] == 0


async def test_stopped_mid_send_it_shuts_down_without_an_error_line(
    infra: Infra, bus: Bus, notif_engine: AsyncEngine, tmp_path: Path
) -> None:
    """SIGTERM while emails are held mid-transaction: the process waits its grace, ends the
    sends still running (their rows stay claimed until the lease lapses) and exits, and its
    log has no error in it (an ended batch left a gathered future no one read, logged as
    'exception was never retrieved' at every such stop)."""
    sink = await HoldingSink(hold_after=10).start()
    proc = process(infra, sink, tmp_path / "stopped.log").start()
    try:
        await proc.wait_ready()
        await launched_to_a_new_cohort(bus, notif_engine, proc, 40)
        await wait_for(lambda: sink.waiting >= 4, timeout=30, message="sends held at MAIL")
        code = await asyncio.to_thread(proc.terminate)
    finally:
        proc.stop()
        sink.released.set()
        await sink.stop()
    errors = [line for line in proc.log_lines() if line.get("level") in ("error", "critical")]
    assert code in (0, -signal.SIGTERM)  # uvicorn ends by its signal once it has shut down
    assert errors == [], errors


async def _roster_has(engine: AsyncEngine, cohort: uuid.UUID, size: int) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count()).where(cohort_members.c.cohort_id == cohort)
        )
    return found == size


async def launched_to_a_new_cohort(
    bus: Bus, notif_engine: AsyncEngine, service: ServiceProcess, count: int
) -> tuple[list[str], dict]:  # type: ignore[type-arg]
    """An event and a cohort of `count` replicated, then a campaign to it launched: the
    invitees' addresses and the launched campaign."""
    event = event_state()
    await bus.publish("catalogue.event.published", event)
    cohort = uuid.uuid4()
    invitees = []
    for n in range(count):
        change = member(cohort, n + 1)
        invitees.append(change.email)
        await bus.publish("catalogue.cohort.member_added", change)
    await wait_for(
        lambda: _roster_has(notif_engine, cohort, count), timeout=60, message="roster replicated"
    )
    async with httpx.AsyncClient(base_url=service.url, headers=STAFF, timeout=10) as client:
        campaign = await wait_for(lambda: _launch(client, event.event_id, cohort), timeout=10)
    return invitees, campaign


async def _launch(client: httpx.AsyncClient, event_id: uuid.UUID, cohort: uuid.UUID) -> dict:  # type: ignore[type-arg]
    answer = await client.post(
        "/staff/campaigns",
        json={
            "event_id": str(event_id),
            "audience": {"cohort_ids": [str(cohort)]},
            "subject": "Join us",
        },
    )
    assert answer.status_code == 201, answer.text
    launched = await client.post(f"/staff/campaigns/{answer.json()['id']}/launch")
    assert launched.status_code == 200, launched.text
    return launched.json()  # type: ignore[no-any-return]


async def _recorded(engine: AsyncEngine, campaign_id: str, received: int) -> dict[str, int] | None:
    states = await _states(engine, campaign_id)
    return states if states.get("sent", 0) == received else None


async def _completed(client: httpx.AsyncClient, campaign_id: str) -> dict | None:  # type: ignore[type-arg]
    found = (await client.get(f"/staff/campaigns/{campaign_id}")).json()
    return found if found["status"] == "completed" else None


_ = ROOT
