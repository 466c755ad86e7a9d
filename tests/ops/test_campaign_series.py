"""`campaign_emails{campaign_id}` has series only for campaigns under way: a campaign that
completes or is cancelled loses them, in the process that finished it and (on the sampling
timer) in every other process that showed it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.notifications import metrics
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import unique_email
from tests.notifications.test_campaigns import STAFF, counts, create, ready_event
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _series(client: httpx.AsyncClient, campaign_id: str) -> list[str]:
    page = (await client.get("/metrics")).text
    return [
        line
        for line in page.splitlines()
        if line.startswith("campaign_emails{") and f'campaign_id="{campaign_id}"' in line
    ]


async def _gone(client: httpx.AsyncClient, campaign_id: str) -> bool:
    return await _series(client, campaign_id) == []


async def _status(client: httpx.AsyncClient, campaign_id: str, status: str) -> bool:
    return (await counts(client, campaign_id))["status"] == status


async def test_finished_and_cancelled_campaigns_leave_metrics(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    # 3 emails a second with no burst: the 9 take 3 s, so the campaign is seen running after
    # its first chunk however fast the machine (at 10/s with the default burst of 10 all nine
    # went at once and it completed within milliseconds of its first chunk).
    async with notifications(
        infra, smtp, send_rate=3, send_burst=1, campaign_chunk_size=3, queue_depth_interval=0.3
    ) as (_, client):
        event = await ready_event(bus, client)
        done = await create(client, event, audience={"emails": [unique_email() for _ in range(9)]})
        await client.post(f"/staff/campaigns/{done['id']}/launch", headers=STAFF)
        # Under way (the slow send rate keeps it running): its series are there.
        running = await wait_for(
            lambda: _series(client, done["id"]), timeout=20, message="series while running"
        )
        assert any('state="sent"' in line for line in running)
        await wait_for(lambda: _status(client, done["id"], "completed"), timeout=30)
        assert await _series(client, done["id"]) == []

        doomed = await create(
            client, event, audience={"emails": [unique_email() for _ in range(30)]}
        )
        await client.post(f"/staff/campaigns/{doomed['id']}/launch", headers=STAFF)
        await wait_for(lambda: _series(client, doomed["id"]), timeout=20)
        await client.post(f"/staff/campaigns/{doomed['id']}/cancel", headers=STAFF)
        await wait_for(lambda: _status(client, doomed["id"], "cancelled"), timeout=20)

        await wait_for(
            lambda: _gone(client, doomed["id"]), timeout=10, message="cancelled series removed"
        )

        # Another process's last view of the completed campaign (it never saw the end):
        # the sampling timer finds the campaign finished and drops the series.
        metrics.show_campaign(
            uuid.UUID(done["id"]),
            "running",
            dict.fromkeys(metrics.CAMPAIGN_STATES, 3),
        )
        assert await _series(client, done["id"])
        await wait_for(lambda: _gone(client, done["id"]), timeout=10, message="stale pruned")
