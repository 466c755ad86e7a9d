"""The Operations page over the services' /ops APIs: open to ops and admin only, a parked
message listed (without its payload) and replayed from the page, and a service that is down
shown as unavailable while the rest of the page works."""

from __future__ import annotations

import uuid

import aio_pika
import httpx
import pytest

from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from shared.contracts import Envelope, new_envelope
from shared.db import Database, make_engine
from tests.console.conftest import csrf_of, sign_in
from tests.notifications.factories import booking_state, event_state, unique_email
from tests.support.system import System
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "operations test password"


async def _client(system: System, roles: list[str]) -> httpx.AsyncClient:
    db = Database(make_engine(system.infra.database_urls["console"], pool_size=1), producer="t")
    email = f"{'-'.join(roles)}-{uuid.uuid4().hex[:6]}@example.org"
    try:
        async with db.unit_of_work() as uow:
            await accounts.create(
                uow, email=email, name="Op", roles=roles, password_hash=hash_password(PASSWORD)
            )
            await uow.commit()
    finally:
        await db.dispose()
    client = httpx.AsyncClient(base_url=system.url("console"), timeout=30)
    assert (await sign_in(client, email, PASSWORD)).status_code == 303
    return client


async def _publish(system: System, envelope: Envelope) -> None:
    connection = await aio_pika.connect(system.infra.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            "gm.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        await exchange.publish(
            aio_pika.Message(
                envelope.to_json(),
                message_id=str(envelope.message_id),
                type=envelope.type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=envelope.type,
        )
    finally:
        await connection.close()


async def test_the_page_is_for_ops_and_admin_only(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    ops = await _client(console_system, ["ops"])
    staff = await _client(console_system, ["staff"])
    door = await _client(console_system, ["checkin"])
    try:
        for client in (admin, ops):
            page = await client.get("/operations")
            assert page.status_code == 200, page.text
            assert 'href="/operations"' in page.text
            for service in ("Catalogue", "Bookings", "Notifications"):
                assert f'id="svc-{service.lower()}">{service}</h2>' in page.text
            assert "database: ok" in page.text and "broker: ok" in page.text
            assert "notifications.booking-events" in page.text
            assert 'action="/operations/bookings/resync"' in page.text
            assert 'action="/operations/notifications/resync"' not in page.text
        for client in (staff, door):
            assert (await client.get("/operations")).status_code == 403
            assert 'href="/operations"' not in (await client.get("/")).text
            refused = await client.post(
                "/operations/bookings/resync", data={"csrf_token": csrf_of(page.text)}
            )
            assert refused.status_code == 403
        async with httpx.AsyncClient(base_url=console_system.url("console")) as visitor:
            answer = await visitor.get("/operations")
            assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")
        forged = await ops.post("/operations/notifications/parked/replay", data={"csrf_token": "x"})
        assert forged.status_code == 403 and "Form expired" in forged.text
        unknown = await ops.post(
            "/operations/elsewhere/parked/replay", data={"csrf_token": csrf_of(page.text)}
        )
        assert unknown.status_code == 404
        resynced = await ops.post(
            "/operations/catalogue/resync", data={"csrf_token": csrf_of(page.text)}
        )
        assert resynced.status_code == 303 and "notice=resynced" in resynced.headers["location"]
    finally:
        for client in (ops, staff, door):
            await client.aclose()


async def test_a_parked_message_is_listed_and_replayed_from_the_page(
    console_system: System,
) -> None:
    ops = await _client(console_system, ["ops"])
    event = event_state(title="Parked masterclass")
    email = unique_email("parked")
    booking = booking_state(event, attendee={"name": "Pat <b>Parked</b>", "email": email})
    # The booking arrives before its event: every retry fails and it is parked.
    envelope = new_envelope("bookings.booking.confirmed", booking, producer="bookings")
    await _publish(console_system, envelope)
    replay_path = f"/operations/notifications/parked/{envelope.message_id}/replay"
    try:

        async def listed() -> str | None:
            page = await ops.get("/operations")
            return page.text if replay_path in page.text else None

        page = await wait_for(listed, timeout=60, message="parked message on the page")
        assert "bookings.booking.confirmed" in page and "EventNotKnownYet" in page
        # The page shows the error, never the payload.
        assert email not in page and "Pat &lt;b&gt;" not in page and "Pat <b>" not in page

        # The cause fixed (the event is known now), the message is replayed from the page.
        await _publish(
            console_system, new_envelope("catalogue.event.published", event, producer="catalogue")
        )
        replayed = await ops.post(
            replay_path,
            data={"csrf_token": csrf_of(page), "queue": "notifications.booking-events"},
        )
        assert replayed.status_code == 303, replayed.text
        shown = await ops.get(replayed.headers["location"])
        assert "put back on its queue" in shown.text
        await wait_for(lambda: console_system.smtp.to(email), timeout=60, message="email sent")
        assert replay_path not in (await ops.get("/operations")).text

        again = await ops.post(
            replay_path,
            data={"csrf_token": csrf_of(page), "queue": "notifications.booking-events"},
        )
        assert again.status_code == 404 and "no parked message" in again.text
        none_left = await ops.post(
            "/operations/notifications/parked/replay",
            data={"csrf_token": csrf_of(page)},
        )
        assert none_left.status_code == 303 and "nothing-parked" in none_left.headers["location"]
    finally:
        await ops.aclose()


async def test_a_service_that_is_down_is_shown_unavailable(
    console_system: System, admin: httpx.AsyncClient
) -> None:
    # Last in this module: it stops this module's own notifications process.
    console_system.services["notifications"].stop()
    page = await admin.get("/operations")
    assert page.status_code == 200
    assert "Notifications is unavailable" in page.text
    assert "notifications.booking-events" not in page.text
    assert "bookings.catalogue-events" in page.text or "database: ok" in page.text
    replay = await admin.post(
        "/operations/notifications/parked/replay", data={"csrf_token": csrf_of(page.text)}
    )
    assert replay.status_code == 503 and "unavailable" in replay.text
