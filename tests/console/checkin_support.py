"""For the door tests: an event running today put into bookings' replica (the catalogue
refuses to create one in the past, and a door test needs "today"), people booked into it, and
console accounts of a chosen role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx

from services.bookings.handlers import apply_event_state
from services.bookings.settings import BookingsSettings
from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from shared.contracts import EventOption, EventSession, EventState, new_envelope
from shared.db import Database, make_engine
from tests.conftest import token
from tests.console.conftest import sign_in
from tests.support.system import System
from tests.support.waiting import wait_for

STAFF = {"Authorization": f"Bearer {token('staff')}"}
PASSWORD = "door staff password"


async def today_event(
    system: System, *, days_ahead: int = 0, programme: str | None = None, published: bool = False
) -> EventState:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_ahead)
    start = start - timedelta(minutes=30)
    end = start + timedelta(hours=1)
    state = EventState(
        event_id=uuid.uuid4(),
        version=1,
        title=f"Immersion day {uuid.uuid4().hex[:4]}",
        timezone="UTC",
        programme_id=uuid.UUID(programme) if programme else None,
        starts_at=start,
        ends_at=end,
        capacity=20,
        sessions=[
            EventSession(session_id=uuid.uuid4(), title="Day 1", starts_at=start, ends_at=end)
        ],
        options=[
            EventOption(option_id=uuid.uuid4(), name="Street Wisdom", capacity=10),
            EventOption(option_id=uuid.uuid4(), name="The A Teams", capacity=10),
        ],
    )
    if published:
        await _publish(system, state)
        return state
    settings = BookingsSettings(database_url=system.infra.database_urls["bookings"])
    db = Database(make_engine(settings.database_url, pool_size=1), producer="bookings")
    try:
        async with db.unit_of_work() as uow:
            await apply_event_state(state, uow, settings)
            await uow.commit()
    finally:
        await db.dispose()
    return state


async def _publish(system: System, state: EventState) -> None:
    """As the catalogue's relay would: bookings and notifications both learn the event, so
    a booking's confirmation email goes out."""
    envelope = new_envelope("catalogue.event.published", state, producer="catalogue")
    connection = await aio_pika.connect(system.infra.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("gm.events")
        message = aio_pika.Message(
            envelope.to_json(),
            message_id=str(envelope.message_id),
            type=envelope.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await exchange.publish(message, routing_key=envelope.type)
    finally:
        await connection.close()

    async def replicated() -> bool:
        async with httpx.AsyncClient(base_url=system.url("bookings")) as api:
            return (await api.get(f"/public/events/{state.event_id}")).status_code == 200

    await wait_for(replicated, timeout=30, message="event replicated to bookings")


async def book(
    system: System, state: EventState, name: str, organisation: str, n: int, email: str = ""
) -> str:
    option = state.options[n % 2].option_id
    body = {
        "name": name,
        "email": email or f"p{n}.{uuid.uuid4().hex[:6]}@example.org",
        "organisation": organisation,
        "option_id": str(option),
    }
    async with httpx.AsyncClient(base_url=system.url("bookings"), headers=STAFF) as api:
        r = await api.post(f"/staff/events/{state.event_id}/bookings", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["booking_id"])


async def account(system: System, roles: list[str], programmes: list[str] | None = None) -> str:
    db = Database(make_engine(system.infra.database_urls["console"], pool_size=1), producer="t")
    email = f"door-{uuid.uuid4().hex[:6]}@example.org"
    try:
        async with db.unit_of_work() as uow:
            await accounts.create(
                uow, email=email, name="Door Staff", roles=roles,
                programmes=programmes or [], password_hash=hash_password(PASSWORD),
            )  # fmt: skip
            await uow.commit()
    finally:
        await db.dispose()
    return email


async def signed_in(system: System, roles: list[str], **kw: list[str]) -> httpx.AsyncClient:
    email = await account(system, roles, **kw)
    client = httpx.AsyncClient(base_url=system.url("console"), timeout=20)
    assert (await sign_in(client, email, PASSWORD)).status_code == 303
    return client
