"""One service's PostgreSQL unreachable for a while: its /readyz says so, its requests get a
clear 503 (never a 500, never a half-written booking), its consumers leave messages waiting in
the queue, and everything catches up once the database is back."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.test_booking_flow import publish_event
from tests.support.infra import PG_HOST, PG_PORT
from tests.support.proxy import CuttableProxy
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def test_bookings_database_outage(system: System) -> None:
    proxy = await CuttableProxy(PG_HOST, PG_PORT).start()
    direct = make_url(system.infra.database_urls["bookings"])
    via_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    system.services["bookings"].stop()
    bookings = system.start("bookings", DATABASE_URL=via_proxy)
    await bookings.wait_ready()
    booking = {"name": "Db Outage", "email": "db-outage@example.org", "organisation": "Trust"}
    try:
        async with httpx.AsyncClient(timeout=15) as client:
            before = await publish_event(client, system, title="Before the outage")

            async def has(event_id: str) -> bool:
                answer = await client.get(f"{bookings.url}/public/events/{event_id}")
                return answer.status_code == 200

            await wait_for(lambda: has(before), message="first event replicated")
            await proxy.cut()

            async def reports_database_down() -> bool:
                answer = await client.get(f"{bookings.url}/readyz")
                return answer.status_code == 503 and answer.json()["checks"]["database"] != "ok"

            await wait_for(reports_database_down, message="/readyz reports the database down")
            refused = await client.post(
                f"{bookings.url}/public/events/{before}/bookings", json=booking
            )
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"]

            # Published while bookings cannot write: the message must wait, not be parked.
            during = await publish_event(client, system, title="During the outage")

            def waits() -> int:
                lines = bookings.log_lines()
                return sum(
                    1 for line in lines if line["event"] == "message.waiting_for_infrastructure"
                )

            # Three waits in place take longer than all of this system's retry delays together,
            # so a consumer that retried instead of waiting would have parked it by now.
            await wait_for(lambda: waits() >= 3, message="the consumer waiting for its database")
            assert not [line for line in bookings.log_lines() if line["event"] == "message.parked"]

            await proxy.restore()
            await wait_for(lambda: has(during), timeout=30, message="caught up after the outage")
            booked = await client.post(
                f"{bookings.url}/public/events/{before}/bookings", json=booking
            )
            assert booked.status_code == 201, booked.text
            assert (await client.get(f"{bookings.url}/readyz")).status_code == 200
    finally:
        await proxy.stop()
