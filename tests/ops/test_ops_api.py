"""The ops API: parked messages listed with their error and replayed, audited through the
outbox; replays absorbed by the inbox; queue depths and readiness; bad input refused."""

from __future__ import annotations

import uuid

import aio_pika
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from shared.contracts import Envelope
from shared.contracts.staff import StaffActionRecorded
from shared.messaging.queues import NOTIFICATIONS_BOOKING_EVENTS
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state, unique_email
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPS = {"Authorization": f"Bearer {token('ops', subject='night-operator')}"}
ADMIN = {"Authorization": f"Bearer {token('admin')}"}
STAFF = {"Authorization": f"Bearer {token('staff')}"}
QUEUE = NOTIFICATIONS_BOOKING_EVENTS.queue


async def _audit_rows(infra: Infra) -> list[StaffActionRecorded]:
    engine = create_async_engine(infra.database_urls["notifications"])
    try:
        async with engine.connect() as conn:
            bodies = (
                await conn.execute(
                    sa.text(
                        "SELECT body FROM outbox "
                        "WHERE routing_key = 'notifications.staff_action.recorded' ORDER BY id"
                    )
                )
            ).scalars()
            return [
                StaffActionRecorded.model_validate(Envelope.from_json(b).payload) for b in bodies
            ]
    finally:
        await engine.dispose()


async def _consumed(client, queue: str) -> float:  # type: ignore[no-untyped-def]
    text = (await client.get("/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("messages_consumed_total{")
        and f'queue="{queue}"' in line
        and 'outcome="handled"' in line
    )


async def test_parked_booking_is_listed_replayed_once_and_audited(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state(title="Replayed masterclass")
    booking = booking_state(event, attendee={"name": "Ann Ops", "email": unique_email("ops")})
    async with notifications(infra, smtp, queue_depth_interval=0.3) as (_, client):
        # The booking arrives before its event, fails every retry and is parked.
        envelope = await bus.publish("bookings.booking.confirmed", booking, producer="bookings")

        async def parked() -> list[dict]:
            answer = await client.get(
                "/ops/parked", params={"queue": QUEUE, "limit": 1000}, headers=OPS
            )
            assert answer.status_code == 200, answer.text
            return [p for p in answer.json() if p["message_id"] == str(envelope.message_id)]

        [found] = await wait_for(parked, timeout=30, message="booking parked")
        assert "EventNotKnownYet" in found["error"] and found["type"] == envelope.type
        assert found["attempts"] == 4 and found["queue"] == QUEUE

        # Depths: fresh from the API, and sampled onto /metrics on the timer.
        depths = {d["queue"]: d for d in (await client.get("/ops/queues", headers=OPS)).json()}
        assert depths[QUEUE]["parked"] >= 1 and depths[QUEUE]["consumers"] >= 1

        async def gauge() -> bool:
            text = (await client.get("/metrics")).text
            return any(
                line.startswith(f'queue_messages_parked{{queue="{QUEUE}"}}')
                and float(line.rsplit(" ", 1)[1]) >= 1
                for line in text.splitlines()
            )

        await wait_for(gauge, timeout=15, message="parked gauge sampled")
        readiness = (await client.get("/ops/readiness", headers=ADMIN)).json()
        assert readiness == {
            "service": "notifications",
            "ready": True,
            "checks": {"database": "ok", "broker": "ok"},
        }

        # The fix: the event is now known. Replay, and the email goes out.
        await bus.publish("catalogue.event.published", event, producer="catalogue")
        await wait_for(lambda: _consumed(client, "notifications.catalogue-events"), timeout=15)
        before = await _consumed(client, QUEUE)
        answer = await client.post(f"/ops/parked/{envelope.message_id}/replay", headers=OPS)
        assert answer.status_code == 200, answer.text
        assert [r["message_id"] for r in answer.json()["replayed"]] == [str(envelope.message_id)]
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=20, message="email")

        # Replayed again (a second operator, or a crash between republish and ack): the inbox
        # absorbs it and no second email goes out.
        again = await client.post(f"/ops/parked/{envelope.message_id}/replay", headers=OPS)
        assert again.status_code == 404 and again.json()["code"] == "not_parked"
        await bus.publish_envelope(envelope)

        async def both_handled() -> bool:
            return await _consumed(client, QUEUE) >= before + 2

        await wait_for(both_handled, timeout=20, message="duplicate consumed")
        assert len(smtp.to(booking.attendee.email)) == 1
        assert not await parked()

    [audit] = [a for a in await _audit_rows(infra) if a.target_id == str(envelope.message_id)]
    assert audit.actor == "night-operator" and audit.action == "parked_message.replayed"
    assert QUEUE in audit.summary and "bookings.booking.confirmed" in audit.summary
    assert "@" not in audit.summary  # no personal data in the audit record


async def test_replay_all_puts_every_parked_message_back(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    async with notifications(infra, smtp) as (_, client):
        garbage = []
        for i in range(3):
            message_id = f"garbage-{uuid.uuid4().hex[:8]}-{i}"
            await bus.exchange.publish(
                aio_pika.Message(b"{not json", message_id=message_id),
                routing_key="bookings.booking.confirmed",
            )
            garbage.append(message_id)

        async def all_parked() -> bool:
            # Earlier tests of the session park messages in the same vhost: look past the
            # default page of 100.
            answer = await client.get("/ops/parked", params={"limit": 1000}, headers=OPS)
            return set(garbage) <= {p["message_id"] for p in answer.json()}

        await wait_for(all_parked, timeout=30, message="garbage parked")
        answer = await client.post("/ops/parked/replay", json={"queue": QUEUE}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        assert set(garbage) <= {r["message_id"] for r in answer.json()["replayed"]}
        # Still garbage: it fails its retries again and comes back to the parked queue.
        await wait_for(all_parked, timeout=30, message="garbage parked again")
    audited = {a.target_id for a in await _audit_rows(infra)}
    assert set(garbage) <= audited


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "status", "field"),
    [
        ("GET", "/ops/parked", {"queue": "bookings.catalogue-events"}, None, 422, "queue"),
        ("GET", "/ops/parked", {"queue": "x" * 300}, None, 422, "queue"),
        ("GET", "/ops/parked", {"limit": "0"}, None, 422, "limit"),
        ("GET", "/ops/parked", {"limit": "many"}, None, 422, "limit"),
        ("POST", "/ops/parked/not%20an%20id/replay", {}, None, 422, "message_id"),
        ("POST", f"/ops/parked/{'a' * 101}/replay", {}, None, 422, "message_id"),
        ("POST", f"/ops/parked/{uuid.uuid4()}/replay", {}, None, 404, None),
        ("POST", "/ops/parked/replay", {}, {"queue": "<script>"}, 422, "queue"),
        ("POST", "/ops/parked/replay", {}, {"queue": 7}, 422, "queue"),
        ("POST", "/ops/parked/replay", {}, [1, 2], 422, None),
    ],
)
async def test_ops_api_refuses_bad_input(  # type: ignore[no-untyped-def]
    infra: Infra, smtp: SmtpSink, method, path, params, body, status, field
) -> None:
    async with notifications(infra, smtp) as (_, client):
        answer = await client.request(method, path, params=params, json=body, headers=OPS)
    assert answer.status_code == status, answer.text
    if field:
        assert field in answer.text


async def test_notifications_has_nothing_to_resync(infra: Infra, smtp: SmtpSink) -> None:
    async with notifications(infra, smtp) as (_, client):
        answer = await client.post("/ops/resync", headers=OPS)
    assert answer.status_code == 404 and answer.json()["code"] == "nothing_to_resync"


async def test_staff_role_does_not_open_the_ops_api(infra: Infra, smtp: SmtpSink) -> None:
    async with notifications(infra, smtp) as (_, client):
        for path in ("/ops/readiness", "/ops/queues", "/ops/parked"):
            assert (await client.get(path, headers=STAFF)).status_code == 403
            assert (await client.get(path, headers=ADMIN)).status_code == 200
        answer = await client.post("/ops/parked/replay", json={}, headers=STAFF)
        assert answer.status_code == 403
