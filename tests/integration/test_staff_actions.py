"""Every staff command is recorded as `<service>.staff_action.recorded` through the service's
outbox, with the token's person as actor and the thing changed as target; a command refused by
validation records nothing. A test queue bound to `*.staff_action.recorded` in this session's
vhost sees what the console's audit log would."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
import pytest
import pytest_asyncio

from shared.contracts.staff import StaffActionRecorded
from shared.messaging.topology import declare_exchange
from shared.staff_actions import command_from_route
from tests.conftest import settings_for, token
from tests.support.infra import Infra
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

AMY = {"Authorization": f"Bearer {token('staff', subject='amy-42', name='Amy Ng')}"}


class Recorded:
    """Every staff action message that reaches the exchange while the test runs."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, StaffActionRecorded]] = []

    def of(self, producer: str) -> list[StaffActionRecorded]:
        return [p for key, p in self.messages if key.startswith(f"{producer}.")]

    async def one_new(self, producer: str, seen: int) -> StaffActionRecorded:
        await wait_for(
            lambda: len(self.of(producer)) > seen,
            timeout=30,
            message=f"a {producer} staff action",
        )
        found = self.of(producer)
        assert len(found) == seen + 1, [p.action for p in found[seen:]]
        return found[-1]


@pytest_asyncio.fixture(loop_scope="session")
async def recorded(infra: Infra) -> AsyncIterator[Recorded]:
    sink = Recorded()
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, settings_for("catalogue", infra).exchange_name)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(exchange, "*.staff_action.recorded")

        async def keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                body = json.loads(message.body)
                payload = StaffActionRecorded.model_validate(body["payload"])
                sink.messages.append((message.routing_key or "", payload))

        await queue.consume(keep)
        yield sink
    finally:
        await connection.close()


def _check(action: StaffActionRecorded, *, name: str, target_type: str, target_id: str) -> None:
    assert (action.actor, action.actor_name) == ("amy-42", "Amy Ng")
    assert (action.action, action.target_type, action.target_id) == (
        name,
        target_type,
        target_id,
    )


async def test_each_service_records_its_staff_commands_once(
    clients: dict[str, httpx.AsyncClient], recorded: Recorded
) -> None:
    catalogue, bookings, notifications = (
        clients[s] for s in ("catalogue", "bookings", "notifications")
    )
    # Catalogue: a refused command first; if it had recorded anything, the relay would have
    # published it before the good command's record, and `one_new` would see two.
    starts = datetime.now(UTC) + timedelta(days=30)
    bad = await catalogue.post("/staff/events", headers=AMY, json={"title": "No times"})
    assert bad.status_code == 422, bad.text
    created = await catalogue.post(
        "/staff/events",
        headers=AMY,
        json={
            "title": "Audit trail <b>day</b>",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "capacity": 5,
        },
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    action = await recorded.one_new("catalogue", 0)
    _check(action, name="event.created", target_type="event", target_id=event_id)
    assert action.event_id == uuid.UUID(event_id)
    assert "Audit trail" not in action.summary  # what staff typed stays out of the record
    published = await catalogue.post(f"/staff/events/{event_id}/publish", headers=AMY)
    assert published.status_code == 200, published.text
    _check(
        await recorded.one_new("catalogue", 1),
        name="event.published",
        target_type="event",
        target_id=event_id,
    )
    # Reads record nothing.
    assert (await catalogue.get(f"/staff/events/{event_id}", headers=AMY)).status_code == 200

    # Bookings: booking on someone's behalf goes through the batch writer, in another task.
    async def replicated() -> bool:
        answer = await bookings.get(f"/staff/events/{event_id}/counts", headers=AMY)
        return answer.status_code == 200

    await wait_for(replicated, timeout=30, message="the event in bookings' replica")
    refused = await bookings.post(
        f"/staff/events/{event_id}/bookings", headers=AMY, json={"name": "Sam"}
    )
    assert refused.status_code == 422, refused.text
    booked = await bookings.post(
        f"/staff/events/{event_id}/bookings",
        headers=AMY,
        json={
            "name": "Sam Leader",
            "email": "sam.audit@example.org",
            "organisation": "Bolton Council",
        },
    )
    assert booked.status_code == 201, booked.text
    action = await recorded.one_new("bookings", 0)
    _check(
        action,
        name="booking.created",
        target_type="booking",
        target_id=booked.json()["booking_id"],
    )
    assert action.event_id == uuid.UUID(event_id)
    assert "sam" not in action.model_dump_json().lower()

    # Notifications: a campaign for the event.
    async def known() -> bool:
        answer = await notifications.post(
            "/staff/campaigns",
            headers=AMY,
            json={
                "event_id": event_id,
                "subject": "Join us",
                "audience": {"emails": ["invitee@example.org"]},
            },
        )
        if answer.status_code == 201:
            return True
        assert "no such event" in answer.text, answer.text  # only the replica may lag
        return False

    bad_campaign = await notifications.post("/staff/campaigns", headers=AMY, json={"subject": 1})
    assert bad_campaign.status_code == 422, bad_campaign.text
    await wait_for(known, timeout=30, message="the event in notifications' replica")
    action = await recorded.one_new("notifications", 0)
    assert action.target_type == "campaign" and action.action == "campaign.created"
    assert action.event_id == uuid.UUID(event_id)
    assert (action.actor, action.actor_name) == ("amy-42", "Amy Ng")


async def test_actions_are_read_from_the_route() -> None:
    i = str(uuid.uuid4())
    assert command_from_route("POST", "/staff/events/{event_id}/publish", {"event_id": i}) == (
        "event.published",
        "event",
        i,
    )
    assert command_from_route(
        "DELETE",
        "/staff/cohorts/{cohort_id}/members/{member_id}",
        {"cohort_id": "c", "member_id": i},
    ) == ("member.deleted", "member", i)
    assert command_from_route("POST", "/staff/cohorts/{cohort_id}/roster", {"cohort_id": i}) == (
        "cohort.roster_imported",
        "cohort",
        i,
    )
    assert command_from_route("PATCH", "/staff/people/{person_id}", {"person_id": i}) == (
        "person.updated",
        "person",
        i,
    )
    assert command_from_route("POST", "/staff/venues", {}) == ("venue.created", "venue", "")
    assert (
        command_from_route("PUT", "/staff/bookings/{booking_id}/attendance", {"booking_id": i})[0]
        == "booking.attendance_set"
    )
