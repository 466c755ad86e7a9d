"""For the door tests: an event running today put into bookings' replica (the catalogue
refuses to create one in the past, and a door test needs "today"), people booked into it, and
console accounts of a chosen role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.bookings.handlers import apply_event_state
from services.bookings.settings import BookingsSettings
from services.console.domain.passwords import hash_password
from services.console.persistence import accounts
from shared.contracts import EventOption, EventSession, EventState
from shared.db import Database, make_engine
from tests.conftest import token
from tests.console.conftest import sign_in
from tests.support.system import System

STAFF = {"Authorization": f"Bearer {token('staff')}"}
PASSWORD = "door staff password"


async def today_event(
    system: System, *, days_ahead: int = 0, programme: str | None = None
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
    settings = BookingsSettings(database_url=system.infra.database_urls["bookings"])
    db = Database(make_engine(settings.database_url, pool_size=1), producer="bookings")
    try:
        async with db.unit_of_work() as uow:
            await apply_event_state(state, uow, settings)
            await uow.commit()
    finally:
        await db.dispose()
    return state


async def book(system: System, state: EventState, name: str, organisation: str, n: int) -> str:
    option = state.options[n % 2].option_id
    body = {
        "name": name,
        "email": f"p{n}.{uuid.uuid4().hex[:6]}@example.org",
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
