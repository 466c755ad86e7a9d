"""The node that leads the busiest queues of a three-node cluster stops in the middle of a
booking rush and a 2,000-invitee campaign: every booking's messages arrive (its confirmation
email, once), every invitee gets exactly one email, and the services keep answering within
seconds, having moved to the live nodes by themselves (AMQP_URL lists all three)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.notifications.persistence.tables import bookings, cohort_members, deliveries, events
from tests.e2e.test_booking_flow import publish_event
from tests.faults.test_broker_outage import invite
from tests.support.rabbit_node import RabbitCluster
from tests.support.system import System, running_system
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

INVITEES = 2000
BOOKINGS = 120
BOOKING_PACE = 0.1  # s between bookings: the rush spans the node's loss
SEND_RATE = 150  # emails/s: the campaign takes about 15 s, so it spans the loss too
ANSWER_WITHIN = 5.0  # s: what "keeps answering" means for a booking or a probe
COHORT = uuid.uuid4()


async def seed_roster(system: System, size: int) -> list[str]:
    """The cohort's roster written straight into notifications' replica of it. Replicating
    2,000 members through the cluster took most of this test's 110-170 s before any fault;
    the replication path has tests of its own (tests/faults/test_broker_outage.py among them),
    and what is under test here (bookings and the campaign across the node's loss) is the same."""
    emails = [f"invitee-{i}-{COHORT.hex[:6]}@example.org" for i in range(size)]
    engine = create_async_engine(system.infra.database_urls["notifications"])
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(cohort_members),
                [
                    {
                        "cohort_id": COHORT,
                        "member_id": uuid.uuid4(),
                        "email": email,
                        "name": f"Invitee {i}",
                        "version": i + 1,
                    }
                    for i, email in enumerate(emails)
                ],
            )
    finally:
        await engine.dispose()
    return emails


async def event_in_notifications(system: System, event_id: str) -> bool:
    engine = create_async_engine(system.infra.database_urls["notifications"])
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                sa.select(sa.func.count()).where(events.c.event_id == uuid.UUID(event_id))
            )
    finally:
        await engine.dispose()
    return bool(found)


async def where_they_are(system: System, emails: list[str]) -> str:
    """What notifications holds for bookings whose confirmation did not arrive: its delivery
    rows (none: the message never arrived or was not applied), for a failure that says where."""
    engine = create_async_engine(system.infra.database_urls["notifications"])
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        deliveries.c.recipient,
                        deliveries.c.state,
                        deliveries.c.reason,
                        deliveries.c.attempts,
                        deliveries.c.lease_until,
                        deliveries.c.created_at,
                    ).where(deliveries.c.recipient.in_(emails))
                )
            ).all()
            replicas = await conn.scalar(
                sa.select(sa.func.count()).where(
                    bookings.c.state["attendee"]["email"].astext.in_(emails)
                )
            )
    finally:
        await engine.dispose()
    return (
        f"{len(emails)} without an email, {replicas} in the booking replica, delivery rows:"
        f" {[tuple(str(v) for v in row) for row in rows]}"
    )


async def test_losing_the_busiest_node_mid_rush_loses_nothing(cluster: RabbitCluster) -> None:
    vhost = f"cluster-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(cluster.add_vhost, vhost)
    async with running_system(
        "faults/cluster-node-loss", amqp_url=cluster.amqp_url(vhost)
    ) as system:
        system.services["notifications"].stop()
        await system.start("notifications", SEND_RATE=str(SEND_RATE)).wait_ready()
        bookings_url = system.url("bookings")
        async with httpx.AsyncClient(timeout=15) as client:
            event_id = await publish_event(client, system, capacity=1000, title="Cluster day")

            async def replicated() -> bool:
                answer = await client.get(f"{bookings_url}/public/events/{event_id}")
                return answer.status_code == 200

            await wait_for(replicated, timeout=30, message="event replicated")
            invitees = await seed_roster(system, INVITEES)
            await wait_for(
                lambda: event_in_notifications(system, event_id),
                timeout=60,
                message="event replicated to notifications",
            )
            await invite(client, system, event_id, str(COHORT))
            await wait_for(
                lambda: sum(1 for e in invitees[:200] if system.smtp.to(e)) >= 20,
                timeout=30,
                message="the campaign under way",
            )

            booked: list[str] = []
            answers: list[tuple[int, float]] = []

            async def book(i: int) -> None:
                email = f"rush-{i}-{uuid.uuid4().hex[:6]}@example.org"
                started = time.monotonic()
                answer = await client.post(
                    f"{bookings_url}/public/events/{event_id}/bookings",
                    json={"name": "Rush Booker", "email": email, "organisation": "NHS"},
                )
                answers.append((answer.status_code, time.monotonic() - started))
                if answer.status_code == 201:
                    booked.append(email)

            async def rush() -> None:
                tasks = []
                for i in range(BOOKINGS):
                    tasks.append(asyncio.create_task(book(i)))
                    await asyncio.sleep(BOOKING_PACE)
                await asyncio.gather(*tasks)

            load = asyncio.create_task(rush())
            await wait_for(lambda: len(answers) >= 20, timeout=30, message="the rush under way")
            leaders = await asyncio.to_thread(cluster.leaders, vhost)
            busiest = leaders["notifications.email-send"]
            # The loss must come mid-campaign, or the campaign proves nothing about it.
            uninvited_at_loss = sum(1 for e in invitees if not system.smtp.to(e))
            await cluster.node(busiest).stop()

            # While the node is gone: every service still answers, and within seconds.
            probes = []
            for name in ("catalogue", "bookings", "notifications"):
                started = time.monotonic()
                health = await client.get(f"{system.url(name)}/healthz")
                probes.append((name, health.status_code, time.monotonic() - started))
            await load

            async def ready_again() -> bool:
                for name in ("catalogue", "bookings", "notifications"):
                    answer = await client.get(f"{system.url(name)}/readyz")
                    if answer.status_code != 200:
                        return False
                return True

            # Each service reconnects to a live node by itself.
            await wait_for(ready_again, timeout=30, interval=0.5, message="services reconnected")

        assert uninvited_at_loss > 0, "the campaign had finished before the node stopped"
        assert [status for status, _ in answers] == [201] * BOOKINGS
        assert max(seconds for _, seconds in answers) < ANSWER_WITHIN, sorted(answers)[-3:]
        assert all(code == 200 and s < ANSWER_WITHIN for _, code, s in probes), probes
        try:
            await wait_for(
                lambda: all(system.smtp.to(e) for e in booked),
                timeout=90,
                interval=0.5,
                message="a confirmation for every booking",
            )
        except AssertionError as missing:
            unsent = [e for e in booked if not system.smtp.to(e)]
            raise AssertionError(f"{missing}: {await where_they_are(system, unsent)}") from None
        await wait_for(
            lambda: all(system.smtp.to(e) for e in invitees),
            timeout=180,
            interval=1,
            message="an invitation for every invitee",
        )
        assert [e for e in booked if len(system.smtp.to(e)) != 1] == []
        assert [e for e in invitees if len(system.smtp.to(e)) != 1] == []
        # The busiest queues were led by the lost node, and now are led by a live one.
        after = await asyncio.to_thread(cluster.leaders, vhost)
        assert after["notifications.email-send"] != busiest
