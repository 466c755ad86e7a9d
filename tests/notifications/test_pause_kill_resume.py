"""Paused during the send, the notifications process SIGKILLed, started again, resumed: every
invitee gets exactly one email, and the campaign completes.

The sink holds new transactions at MAIL once a share of the campaign has arrived, so at the
pause the process has emails on the wire (claimed, mid-SMTP) and chunks unacknowledged; the
kill comes while they are held. After the restart the campaign stays paused (the retry pass
takes over a paused campaign's lapsed claims only once it runs again); resuming queues the
unfinished chunks, whose second run sends only what is missing.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.notifications.conftest import Bus
from tests.notifications.test_crash_mid_campaign import (
    STAFF,
    HoldingSink,
    _completed,
    _states,
    launched_to_a_new_cohort,
    process,
)
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]
INVITEES, HOLD_AFTER = 200, 60


async def test_paused_killed_restarted_resumed_each_invitee_once(
    infra: Infra, bus: Bus, notif_engine: AsyncEngine, tmp_path: Path
) -> None:
    sink = await HoldingSink(HOLD_AFTER).start()
    first = process(infra, sink, tmp_path / "first.log").start()
    second = None
    try:
        await first.wait_ready()
        invitees, campaign = await launched_to_a_new_cohort(bus, notif_engine, first, INVITEES)
        async with httpx.AsyncClient(base_url=first.url, headers=STAFF, timeout=10) as client:
            cid = campaign["id"]
            await wait_for(lambda: sink.waiting >= 4, timeout=30, message="sends held at MAIL")
            paused = await client.post(f"/staff/campaigns/{cid}/pause")
            assert paused.status_code == 200 and paused.json()["status"] == "paused"
        states = await _states(notif_engine, cid)
        assert states.get("sending", 0) >= 4, states  # on the wire when the process dies
        first.kill()
        at_kill = len(sink.received)
        sink.released.set()

        second = process(infra, sink, tmp_path / "second.log").start()
        await second.wait_ready()
        async with httpx.AsyncClient(base_url=second.url, headers=STAFF, timeout=10) as client:
            after = (await client.get(f"/staff/campaigns/{cid}")).json()
            assert after["status"] == "paused", after
            resumed = await client.post(f"/staff/campaigns/{cid}/resume")
            assert resumed.status_code == 200, resumed.text
            final = await wait_for(
                lambda: _completed(client, cid), timeout=90, message="campaign completed"
            )
            done = await wait_for(
                lambda: _all_sent(client, cid), timeout=60, message="every email recorded"
            )
    finally:
        for proc in (first, second):
            if proc and proc.process and proc.process.poll() is None:
                proc.terminate()
        await sink.stop()
    received = sorted(a for r in sink.received for a in r.rcpt_tos)
    assert at_kill < INVITEES
    assert received == sorted(invitees), "each invitee exactly once"
    assert final["status"] == "completed"
    assert done["counts"]["sent"] == INVITEES and done["counts"]["queued"] == 0


async def _all_sent(client: httpx.AsyncClient, campaign_id: str) -> dict | None:  # type: ignore[type-arg]
    found = (await client.get(f"/staff/campaigns/{campaign_id}")).json()
    return found if found["counts"]["sent"] == INVITEES else None
