"""Delivery under faults: the mail server away for longer than every retry of the message
queues (emails are deferred, never parked, and all arrive once it is back, transactional
first), a recipient refused for good (failed, announced, resent by staff once fixed), and an
email written but never sent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.composing.booking_mail import BookingEmail, compose_booking_email
from services.notifications.persistence.tables import deliveries
from shared.contracts import EmailOutcome
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications, notifications_settings
from tests.notifications.factories import booking_state, event_state
from tests.notifications.test_campaigns import create, roster, wait_roster
from tests.support.infra import Infra
from tests.support.proxy import CuttableProxy
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}
# Today's retry budget of a work message in these tests' settings: 0.2 + 0.4 + 0.8 seconds.
RETRY_BUDGET = 1.4


async def _states(engine: AsyncEngine, ids: list[uuid.UUID]) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(deliveries.c.state, sa.func.count())
            .where(deliveries.c.booking_id.in_(ids) | deliveries.c.campaign_id.in_(ids))
            .group_by(deliveries.c.state)
        )
        return {row[0]: row[1] for row in rows}


async def test_an_outage_longer_than_every_retry_delays_mail_and_parks_none(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    proxy = await CuttableProxy(smtp.host, smtp.port).start()
    event = event_state()
    bookings = [booking_state(event) for _ in range(8)]
    try:
        async with notifications(infra, smtp, smtp_port=proxy.port) as (_, client):
            await bus.publish("catalogue.event.published", event)
            cohort, invitees = await roster(bus, 30)
            await wait_roster(client, event, cohort, 30)
            await bus.publish("bookings.booking.confirmed", bookings[0])
            await wait_for(lambda: smtp.to(bookings[0].attendee.email), timeout=15)

            await proxy.cut()  # the pooled connection dies and new ones are refused
            campaign = await create(client, event, audience={"cohort_ids": [str(cohort)]})
            launched = await client.post(f"/staff/campaigns/{campaign['id']}/launch", headers=STAFF)
            assert launched.status_code == 200, launched.text
            for booking in bookings[1:]:
                await bus.publish("bookings.booking.confirmed", booking)
            ids = [b.booking_id for b in bookings[1:]] + [uuid.UUID(campaign["id"])]
            await wait_for(
                lambda: _all_deferred(notif_engine, ids, 7 + 30), timeout=20, message="deferred"
            )
            # Down for several times the old retry budget: every email still waits, none fails.
            await asyncio.sleep(3 * RETRY_BUDGET)
            assert await _states(notif_engine, ids) == {"deferred": 37}
            everyone = [b.attendee.email for b in bookings] + invitees
            assert sum(1 for r in smtp.received if r.rcpt_tos[0] in everyone) == 1
            await proxy.restore()

            await wait_for(lambda: all(smtp.to(a) for a in everyone), timeout=30)
            await wait_for(lambda: _all_sent(notif_engine, ids, 37), timeout=10)
    finally:
        await proxy.stop()
    assert all(len(smtp.to(a)) == 1 for a in everyone), "each email exactly once"
    # This test's emails only: the session's database is shared, and the retry pass may send
    # an email an earlier test left deferred (seen in a run of several directories).
    mine = set(everyone)
    order = [a for a in (r.rcpt_tos[0] for r in smtp.received) if a in mine][1:]
    transactional = {b.attendee.email for b in bookings[1:]}
    assert set(order[:7]) == transactional, "transactional emails go first when the server is back"


async def _all_deferred(engine: AsyncEngine, ids: list[uuid.UUID], n: int) -> bool:
    return await _states(engine, ids) == {"deferred": n}


async def _all_sent(engine: AsyncEngine, ids: list[uuid.UUID], n: int) -> bool:
    return await _states(engine, ids) == {"sent": n}


async def _delivery(client: httpx.AsyncClient, booking_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    answer = await client.get(
        "/staff/deliveries", params={"booking_id": str(booking_id)}, headers=STAFF
    )
    rows = answer.json()
    return rows[0] if rows else {}  # type: ignore[no-any-return]


async def _in_state(client: httpx.AsyncClient, booking_id: uuid.UUID, state: str) -> dict | None:  # type: ignore[type-arg]
    row = await _delivery(client, booking_id)
    return row if row and row["state"] == state else None


async def test_a_refused_recipient_fails_with_the_reason_and_staff_resend_it_once_fixed(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state()
    refused, fine = booking_state(event), booking_state(event)
    smtp.refuse.add(refused.attendee.email.lower())
    failures = await bus.probe("notifications.email.failed")
    async with notifications(infra, smtp) as (_, client):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", refused)
        await bus.publish("bookings.booking.confirmed", fine)
        await wait_for(lambda: smtp.to(fine.attendee.email), timeout=15)
        row = await wait_for(
            lambda: _in_state(client, refused.booking_id, "failed"), timeout=15, message="failed"
        )
        listed = await client.get("/staff/deliveries", params={"state": "failed"}, headers=STAFF)
        announced = await wait_for(lambda: bus.drain(failures), timeout=10)
        sent_row = await _delivery(client, fine.booking_id)
        # A sent confirmation is resent as a copy of its own (issue 13); unknown ids and bad ids
        # are told apart.
        again = await client.post(f"/staff/deliveries/{sent_row['id']}/resend", headers=STAFF)
        missing = await client.post(f"/staff/deliveries/{uuid.uuid4()}/resend", headers=STAFF)
        bad = await client.post("/staff/deliveries/not-a-uuid/resend", headers=STAFF)

        smtp.refuse.clear()  # the address is fixed on the server's side
        resent = await client.post(f"/staff/deliveries/{row['id']}/resend", headers=STAFF)
        assert resent.status_code == 202, resent.text
        await wait_for(lambda: smtp.to(refused.attendee.email), timeout=15)
        final = await wait_for(lambda: _in_state(client, refused.booking_id, "sent"), timeout=10)
    assert row["attempts"] == 1  # refused for good: not retried
    assert row["reason"] == "rejected" and "550" in row["last_error"]
    assert row["id"] in {r["id"] for r in listed.json()}
    outcome = EmailOutcome.model_validate(announced[0].payload)
    assert outcome.delivery_id == uuid.UUID(row["id"])
    assert outcome.recipient_masked != refused.attendee.email
    assert "@" in outcome.recipient_masked and "***" in outcome.recipient_masked
    assert again.status_code == 202 and again.json()["id"] != sent_row["id"]
    assert missing.status_code == 404 and missing.json()["code"] == "delivery_not_found"
    assert bad.status_code == 422 and "delivery_id" in bad.text
    assert resent.json()["state"] == "deferred" and resent.json()["reason"] is None
    assert final["reason"] is None and len(smtp.to(refused.attendee.email)) == 1


async def test_an_email_written_but_never_sent_is_picked_up_by_the_retry_pass(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    """As if the process died between committing the booking's email and sending it: the row
    is queued, no work message exists, nobody holds it."""
    event = event_state()
    booking = booking_state(event)
    settings = notifications_settings(infra)
    composed = compose_booking_email(
        BookingEmail("confirmation", calendar_method="REQUEST"),
        booking=booking,
        event=event,
        settings=settings,
        correlation_id="stranded-1",
    )
    async with notif_engine.begin() as conn:
        await conn.execute(
            sa.insert(deliveries).values(
                id=composed.delivery_id,
                dedupe_key=f"booking:{booking.booking_id}:confirmation:v1",
                kind="confirmation",
                booking_id=booking.booking_id,
                recipient=booking.attendee.email,
                subject=composed.subject,
                message=composed.message,
                state="queued",
                created_at=datetime.now(UTC) - timedelta(minutes=2),
            )
        )
    async with notifications(infra, smtp, stranded_after=timedelta(seconds=60)):
        [message] = await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
    assert message["X-Correlation-ID"] == "stranded-1"
