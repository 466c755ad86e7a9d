"""RabbitMQ stopped for 20 s and started again while bookings are taken and a campaign runs:
bookings keep being answered (capacity is decided locally), the services reconnect by
themselves, and every booking and every invitee gets exactly one email."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.e2e.test_booking_flow import STAFF, publish_event
from tests.support.rabbit_node import RabbitNode
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

OUTAGE_SECONDS = 20
INVITEES = 300
SEND_RATE = 15  # emails/s: the campaign takes about as long as the outage, so it spans it


async def launch_campaign(
    client: httpx.AsyncClient,
    system: System,
    event_id: str,
    *,
    invitees: int = INVITEES,
    replication_timeout: float = 30,
) -> list[str]:
    """A cohort of `invitees` on the catalogue, replicated to notifications, invited."""
    catalogue = system.url("catalogue")
    tag = uuid.uuid4().hex[:6]
    programme = (
        await client.post(
            f"{catalogue}/staff/programmes", headers=STAFF, json={"name": f"Outage {tag}"}
        )
    ).json()
    cohort = (
        await client.post(
            f"{catalogue}/staff/cohorts",
            headers=STAFF,
            json={"programme_id": programme["id"], "number": 7},
        )
    ).json()
    emails = [f"invitee-{i}-{tag}@example.org" for i in range(invitees)]
    roster = "name,email,organisation\n" + "".join(
        f"Invitee {i},{e},Council\n" for i, e in enumerate(emails)
    )
    imported = await client.post(
        f"{catalogue}/staff/cohorts/{cohort['id']}/roster",
        content=roster.encode(),
        headers={**STAFF, "content-type": "text/csv"},
    )
    assert imported.json()["created"] == invitees

    def roster_replicated() -> bool:
        lines = system.services["notifications"].log_lines()
        return (
            sum(
                1
                for line in lines
                if line.get("message_type") == "catalogue.cohort.member_added"
                and line["event"] == "message.handled"
            )
            >= invitees
        )

    await wait_for(
        roster_replicated,
        timeout=replication_timeout,
        interval=0.5,
        message="roster in notifications",
    )
    await invite(client, system, event_id, cohort["id"])
    return emails


async def invite(client: httpx.AsyncClient, system: System, event_id: str, cohort_id: str) -> None:
    """Create and launch a campaign inviting the cohort to the event."""
    notifications = system.url("notifications")
    campaign = (
        await client.post(
            f"{notifications}/staff/campaigns",
            headers=STAFF,
            json={
                "event_id": event_id,
                "subject": "Come along",
                "audience": {"cohort_ids": [cohort_id]},
            },
        )
    ).json()
    launched = await client.post(
        f"{notifications}/staff/campaigns/{campaign['id']}/launch", headers=STAFF
    )
    assert launched.status_code == 200, launched.text


async def test_broker_outage_loses_nothing_and_sends_nothing_twice(
    system_on_own_broker: System, rabbit_node: RabbitNode
) -> None:
    system = system_on_own_broker
    bookings_url = system.url("bookings")
    system.services["notifications"].stop()
    await system.start("notifications", SEND_RATE=str(SEND_RATE)).wait_ready()
    async with httpx.AsyncClient(timeout=10) as client:
        event_id = await publish_event(client, system, capacity=500, title="Outage day")
        invitees = await launch_campaign(client, system, event_id)
        await wait_for(
            lambda: sum(1 for e in invitees if system.smtp.to(e)) >= 20,
            message="the campaign under way",
        )

        async def replicated() -> bool:
            return (await client.get(f"{bookings_url}/public/events/{event_id}")).status_code == 200

        await wait_for(replicated, message="event replicated")

        emails: list[str] = []
        statuses: list[int] = []

        async def book_steadily(count: int, every: float) -> None:
            for i in range(count):
                email = f"outage-{i}-{uuid.uuid4().hex[:6]}@example.org"
                answer = await client.post(
                    f"{bookings_url}/public/events/{event_id}/bookings",
                    json={"name": "Outage Booker", "email": email, "organisation": "NHS"},
                )
                statuses.append(answer.status_code)
                if answer.status_code == 201:
                    emails.append(email)
                await asyncio.sleep(every)

        load = asyncio.create_task(book_steadily(count=60, every=0.5))
        await wait_for(lambda: len(statuses) >= 6, message="bookings under way")
        await rabbit_node.stop()
        booked_before_outage = len(emails)

        async def broker_reported_down() -> bool:
            ready = (await client.get(f"{bookings_url}/readyz")).json()
            return ready["checks"]["broker"] != "ok"

        await wait_for(broker_reported_down, message="/readyz reports the broker down")
        await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: this is the fault, not a wait
        assert len(emails) > booked_before_outage, "bookings must be taken during the outage"
        await rabbit_node.start()
        await load

    assert statuses == [201] * 60
    await wait_for(
        lambda: all(system.smtp.to(e) for e in emails),
        timeout=90,
        interval=0.5,
        message="an email for every booking after the outage",
    )
    duplicates = [e for e in emails if len(system.smtp.to(e)) != 1]
    assert duplicates == []
    await wait_for(
        lambda: all(system.smtp.to(e) for e in invitees),
        timeout=90,
        interval=0.5,
        message="every invitation after the outage",
    )
    assert [e for e in invitees if len(system.smtp.to(e)) != 1] == []
