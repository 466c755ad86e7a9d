"""Delivery under faults: the mail server away for a while, refusing a recipient, or away
for longer than every retry; and what staff see of each."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.composing.booking_mail import BookingEmail, compose_booking_email
from services.notifications.persistence.tables import deliveries
from shared.contracts import EmailOutcome
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications, notifications_settings
from tests.notifications.factories import booking_state, event_state, unique_email
from tests.support.infra import Infra
from tests.support.processes import ROOT
from tests.support.proxy import CuttableProxy
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


async def test_mail_server_away_then_back_every_email_arrives_once(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    proxy = await CuttableProxy(smtp.host, smtp.port).start()
    event = event_state()
    bookings = [booking_state(event) for _ in range(12)]
    try:
        async with notifications(
            infra, smtp, smtp_port=proxy.port, retry_delays=[0.3, 0.6, 1.2, 2.4, 4.8]
        ) as (_, client):
            await bus.publish("catalogue.event.published", event)
            await bus.publish("bookings.booking.confirmed", bookings[0])
            await wait_for(lambda: smtp.to(bookings[0].attendee.email), timeout=15)

            await proxy.cut()  # the pooled connection dies and new ones are refused
            for booking in bookings[1:]:
                await bus.publish("bookings.booking.confirmed", booking)
            await wait_for(
                lambda: _retrying(client, bookings[1:]), timeout=15, message="emails retrying"
            )
            await asyncio.sleep(1.0)  # the outage lasts a while (the point of this test)
            assert len(smtp.received) == 1
            await proxy.restore()

            await wait_for(lambda: all(smtp.to(b.attendee.email) for b in bookings), timeout=20)
            rows = await wait_for(lambda: _all_sent(client, bookings[1:]), timeout=10)
    finally:
        await proxy.stop()
    assert all(len(smtp.to(b.attendee.email)) == 1 for b in bookings)
    assert all(row["state"] == "sent" and row["attempts"] >= 2 for row in rows)
    assert all(row["last_error"] is None for row in rows)


async def _delivery(client, booking) -> dict:  # type: ignore[no-untyped-def, type-arg]
    answer = await client.get(
        "/staff/deliveries", params={"booking_id": str(booking.booking_id)}, headers=STAFF
    )
    rows = answer.json()
    return rows[0] if rows else {}


async def _all_sent(client, bookings) -> list[dict] | None:  # type: ignore[no-untyped-def, type-arg]
    rows = [await _delivery(client, b) for b in bookings]
    return rows if all(row and row["state"] == "sent" for row in rows) else None


async def _retrying(client, bookings) -> bool:  # type: ignore[no-untyped-def]
    rows = [await _delivery(client, b) for b in bookings]
    return all(row and row["state"] == "failed" and row["last_error"] for row in rows)


async def test_a_refused_recipient_is_parked_with_the_reason_and_announced(
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
            lambda: _in_state(client, refused, "parked"), timeout=15, message="parked"
        )
        parked = await client.get("/staff/deliveries", params={"state": "parked"}, headers=STAFF)
        announced = await wait_for(lambda: bus.drain(failures), timeout=10)
    assert row["attempts"] == 1  # refused for good: not retried
    assert "550" in row["parked_reason"] and "rejected by the mail server" in row["parked_reason"]
    assert row["id"] in {r["id"] for r in parked.json()}
    outcome = EmailOutcome.model_validate(announced[0].payload)
    assert outcome.delivery_id == __import__("uuid").UUID(row["id"])
    assert outcome.recipient_masked != refused.attendee.email
    assert "@" in outcome.recipient_masked and "***" in outcome.recipient_masked


async def _in_state(client, booking, state: str) -> dict | None:  # type: ignore[no-untyped-def, type-arg]
    row = await _delivery(client, booking)
    return row if row and row["state"] == state else None


async def test_retries_run_out_the_delivery_is_parked_and_a_replay_sends_it(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    proxy = await CuttableProxy(smtp.host, smtp.port).start()
    await proxy.cut()
    event = event_state()
    booking = booking_state(event)
    try:
        async with notifications(infra, smtp, smtp_port=proxy.port, retry_delays=[0.1, 0.2]) as (
            _,
            client,
        ):
            await bus.publish("catalogue.event.published", event)
            await bus.publish("bookings.booking.confirmed", booking)
            row = await wait_for(
                lambda: _in_state(client, booking, "parked"), timeout=15, message="parked"
            )
            assert row["parked_reason"].startswith("retries exhausted")
            # The first try right after the booking, then the work message's first delivery
            # and one per retry delay.
            assert row["attempts"] == 2 + 2 and not smtp.received

            await proxy.restore()
            replay = await asyncio.to_thread(_replay_parked, infra)
            assert replay.returncode == 0, replay.stderr
            await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
            sent = await wait_for(lambda: _in_state(client, booking, "sent"), timeout=10)
    finally:
        await proxy.stop()
    assert sent["parked_reason"] is None and len(smtp.to(booking.attendee.email)) == 1


def _replay_parked(infra: Infra) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.messaging.parked",
            "replay",
            "--all",
            "--queue",
            "notifications.email-send",
        ],
        cwd=ROOT,
        env={**os.environ, **infra.env_for("notifications")},
        capture_output=True,
        text=True,
        timeout=60,
    )


_ = unique_email


async def test_an_email_written_but_never_sent_is_swept_into_the_work_queue(
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
