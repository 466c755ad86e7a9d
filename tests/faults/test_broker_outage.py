"""RabbitMQ stopped for 20 s and started again while bookings are taken: bookings keep being
answered (capacity is decided locally), the services reconnect by themselves, and every
booking gets exactly one email once the broker is back."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.e2e.test_booking_flow import publish_event
from tests.support.rabbit_node import RabbitNode
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

OUTAGE_SECONDS = 20


async def test_broker_outage_loses_nothing_and_sends_nothing_twice(
    system_on_own_broker: System, rabbit_node: RabbitNode
) -> None:
    system = system_on_own_broker
    bookings_url = system.url("bookings")
    async with httpx.AsyncClient(timeout=10) as client:
        event_id = await publish_event(client, system, capacity=500, title="Outage day")

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
