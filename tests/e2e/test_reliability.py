"""Reliability rules with real processes: the outbox survives a crash between commit and
publish; a redelivered booking message sends one email."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aio_pika
import httpx
import pytest

from shared.contracts import Attendee, BookingState, Envelope, EventState, new_envelope
from tests.e2e.test_booking_flow import STAFF
from tests.support.infra import AMQP_HOST, AMQP_PORT, amqp_url
from tests.support.proxy import CuttableProxy
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_catalogue_killed_between_commit_and_publish_loses_nothing(system: System) -> None:
    proxy = await CuttableProxy(AMQP_HOST, AMQP_PORT).start()
    system.services["catalogue"].terminate()
    catalogue = system.start("catalogue", AMQP_URL=amqp_url(system.infra.vhost, port=proxy.port))
    await catalogue.wait_ready()
    try:
        await proxy.cut()  # the broker is now unreachable for the catalogue only
        async with httpx.AsyncClient(timeout=10) as client:
            created = await client.post(
                f"{catalogue.url}/staff/events",
                json={
                    "title": "Outbox survivor",
                    "starts_at": "2031-05-01T09:00:00+00:00",
                    "ends_at": "2031-05-01T17:00:00+00:00",
                    "capacity": 5,
                },
                headers=STAFF,
            )
            event_id = created.json()["id"]
            published = await client.post(
                f"{catalogue.url}/staff/events/{event_id}/publish", headers=STAFF
            )
            assert published.status_code == 200  # committed, with its message in the outbox
            catalogue.kill()  # crash before the relay could publish it

            absent = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
            assert absent.status_code == 404

            await proxy.restore()
            restarted = system.start(
                "catalogue", AMQP_URL=amqp_url(system.infra.vhost, port=proxy.port)
            )
            await restarted.wait_ready()

            async def replicated() -> bool:
                answer = await client.get(f"{system.url('bookings')}/public/events/{event_id}")
                return answer.status_code == 200

            await wait_for(replicated, timeout=15, message="event published after restart")
    finally:
        await proxy.stop()


async def _publish(url: str, envelope: Envelope) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("gm.events")
        await exchange.publish(
            aio_pika.Message(
                envelope.to_json(),
                message_id=str(envelope.message_id),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.type,
        )


async def test_same_booking_message_delivered_three_times_sends_one_email(system: System) -> None:
    now = datetime.now(UTC)
    event = EventState(
        event_id=uuid.uuid4(),
        version=1,
        title="Redelivery day",
        starts_at="2031-06-01T09:00:00+00:00",
        ends_at="2031-06-01T12:00:00+00:00",
        capacity=10,
    )
    await _publish(
        system.infra.amqp_url, new_envelope("catalogue.event.published", event, producer="test")
    )
    email = f"redelivered-{uuid.uuid4().hex[:6]}@example.org"
    booking = BookingState(
        booking_id=uuid.uuid4(),
        version=1,
        event_id=event.event_id,
        status="confirmed",
        attendee=Attendee(name="Redelivered Person", email=email),
        manage_url="http://bookings.test.invalid/manage/x",
        created_at=now,
        updated_at=now,
    )
    envelope = new_envelope("bookings.booking.confirmed", booking, producer="test")
    for _ in range(3):
        await _publish(system.infra.amqp_url, envelope)
    # A copy under a new message id (a producer retry) is caught by the delivery's dedupe key.
    retry = new_envelope("bookings.booking.confirmed", booking, producer="test")
    await _publish(system.infra.amqp_url, retry)
    ids = {str(envelope.message_id), str(retry.message_id)}

    def copies_consumed() -> bool:
        lines = system.services["notifications"].log_lines()
        return (
            sum(
                1
                for line in lines
                if line["event"] == "message.handled" and line["message_id"] in ids
            )
            == 4
        )

    await wait_for(copies_consumed, timeout=15, message="all four copies consumed")

    async def settled() -> bool:
        async with httpx.AsyncClient() as client:
            answer = await client.get(
                f"{system.url('notifications')}/staff/deliveries",
                params={"booking_id": str(booking.booking_id)},
                headers=STAFF,
            )
        rows = answer.json()
        return len(rows) == 1 and rows[0]["state"] == "sent"

    await wait_for(settled, message="one delivery, sent")
    assert len(system.smtp.to(email)) == 1
