"""Confirmations and promotions on the hot path (one statement claims, applies, schedules and
queues): the same rules as every booking email, through the real broker, database and SMTP."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.composing.booking_mail import BookingEmail, compose_booking_email
from services.notifications.persistence.hotpath import HotPath
from services.notifications.persistence.tables import bookings, deliveries, events, reminders
from tests.notifications.conftest import Bus, notifications, notifications_settings
from tests.notifications.factories import booking_state, event_state
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def handled(client: httpx.AsyncClient, type_: str, count: int) -> bool:
    total = 0.0
    for line in (await client.get("/metrics")).text.splitlines():
        if (
            line.startswith("messages_consumed_total")
            and 'queue="notifications.booking-events"' in line
            and f'type="{type_}"' in line
            and 'outcome="handled"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total >= count


async def rows(engine: AsyncEngine, table: sa.Table, booking_id: object) -> list[sa.Row[object]]:
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(table).where(table.c.booking_id == booking_id))
        return list(found)


async def test_a_confirmation_three_times_sends_one_email_and_schedules_one_reminder_set(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    event = event_state()
    booking = booking_state(event)
    async with notifications(infra, smtp) as (_, client):
        await bus.publish("catalogue.event.published", event)
        envelope = await bus.publish("bookings.booking.confirmed", booking)
        await bus.publish_envelope(envelope)  # a redelivery: same message id
        await bus.publish("bookings.booking.confirmed", booking)  # a re-publish: new id
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        await wait_for(lambda: handled(client, "bookings.booking.confirmed", 3), timeout=15)
    [message] = smtp.to(booking.attendee.email)
    assert message["Subject"].startswith("Your place is confirmed")
    [delivery] = await rows(notif_engine, deliveries, booking.booking_id)
    assert delivery.kind == "confirmation" and delivery.state == "sent"
    scheduled = await rows(notif_engine, reminders, booking.booking_id)
    assert scheduled and len({r.offset_seconds for r in scheduled}) == len(scheduled)


async def test_a_stale_confirmation_changes_nothing_and_sends_nothing(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    event = event_state()
    first = booking_state(event, status="waitlisted", waitlist_position=1)
    newer = first.model_copy(update={"version": 2})
    async with notifications(infra, smtp) as (_, client):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.waitlisted", newer)
        await wait_for(lambda: smtp.to(first.attendee.email), timeout=15)
        # Version 1, confirmed, arrives after version 2: it is older than what is held.
        await bus.publish(
            "bookings.booking.confirmed", first.model_copy(update={"status": "confirmed"})
        )
        await wait_for(lambda: handled(client, "bookings.booking.confirmed", 1), timeout=15)
    assert [str(m["Subject"]) for m in smtp.to(first.attendee.email)] == [
        "You are on the waiting list: Reunion and Reflection"
    ]
    [replica] = await rows(notif_engine, bookings, first.booking_id)
    assert (replica.version, replica.status) == (2, "waitlisted")
    assert await rows(notif_engine, reminders, first.booking_id) == []


async def test_a_confirmation_before_its_event_is_retried_and_sent_once(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state()
    booking = booking_state(event)
    async with notifications(infra, smtp):
        await bus.publish("bookings.booking.confirmed", booking)
        await asyncio.sleep(0.3)  # the first attempt finds no event and fails the message
        await bus.publish("catalogue.event.published", event)
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        await asyncio.sleep(1)  # a second email, were one coming, would be here by now
    assert len(smtp.to(booking.attendee.email)) == 1


async def test_a_promotion_sends_its_email_with_the_invite(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    event = event_state()
    waiting = booking_state(event, status="waitlisted", waitlist_position=1)
    promoted = waiting.model_copy(update={"status": "confirmed", "version": 2})
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.waitlisted", waiting)
        await wait_for(lambda: smtp.to(waiting.attendee.email), timeout=15)
        await bus.publish("bookings.booking.promoted", promoted)
        await wait_for(lambda: len(smtp.to(waiting.attendee.email)) == 2, timeout=15)
    message = smtp.to(waiting.attendee.email)[1]
    assert any(p.get_content_type() == "text/calendar" for p in message.walk())
    kinds = {r.kind for r in await rows(notif_engine, deliveries, waiting.booking_id)}
    assert kinds == {"waitlisted", "promoted"}
    assert await rows(notif_engine, reminders, waiting.booking_id)


async def test_a_confirmation_after_the_event_changed_tells_the_new_event(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    """The hot path keeps the event's state between messages: one made after the replica
    moved on to a newer version is composed again from that version."""
    event = event_state(title="Immersion day")
    first, second = booking_state(event), booking_state(event)
    renamed = event.model_copy(update={"version": 2, "title": "Immersion day, Salford"})
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", first)
        await wait_for(lambda: smtp.to(first.attendee.email), timeout=15)
        # The replica catches up without emailing anyone (a resync), then the next booking.
        await bus.publish("catalogue.event.resynced", renamed)

        async def replica_version() -> bool:
            async with notif_engine.connect() as conn:
                held = await conn.scalar(
                    sa.select(events.c.version).where(events.c.event_id == event.event_id)
                )
            return held == 2

        await wait_for(replica_version, timeout=15, message="the replica at version 2")
        await bus.publish("bookings.booking.confirmed", second)
        [message] = await wait_for(lambda: smtp.to(second.attendee.email), timeout=15)
    assert str(smtp.to(first.attendee.email)[0]["Subject"]).endswith(": Immersion day")
    assert str(message["Subject"]).endswith(": Immersion day, Salford")


async def test_a_confirmation_written_but_never_sent_goes_out_once_its_claim_lapses(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    """As if the process died just after the statement committed: the row is written claimed
    by it (`sending`, a short lease here) and nobody sends it until the lease has lapsed."""
    event = event_state()
    booking = booking_state(event)
    settings = notifications_settings(infra)
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event)

        async def replicated() -> bool:
            async with notif_engine.connect() as conn:
                found = await conn.scalar(
                    sa.select(events.c.version).where(events.c.event_id == event.event_id)
                )
            return found is not None

        await wait_for(replicated, timeout=15, message="the event replicated")
    composed = compose_booking_email(
        BookingEmail("confirmation", calendar_method="REQUEST"),
        booking=booking,
        event=event,
        settings=settings,
        correlation_id="died-after-commit",
    )
    hot = HotPath(infra.database_urls["notifications"])
    try:
        done = await hot.confirm(
            consumer="notifications.booking-events",
            message_id=uuid.uuid4(),
            booking=booking,
            event_version=event.version,
            due=[],
            delivery={
                "id": composed.delivery_id,
                "dedupe_key": f"booking:{booking.booking_id}:confirmation:v1",
                "kind": "confirmation",
                "recipient": booking.attendee.email,
                "recipient_name": booking.attendee.name,
                "subject": composed.subject,
                "message": composed.message,
                "message_id": composed.message_id,
                "correlation_id": "died-after-commit",
            },
            hourly_cap=settings.recipient_hourly_cap,
            claim_token=uuid.uuid4(),
            lease=1.0,
        )
    finally:
        await hot.close()
    assert done.queued is not None and done.queued[1].value == "sending"
    async with notifications(infra, smtp):
        [message] = await wait_for(lambda: smtp.to(booking.attendee.email), timeout=30)
        await asyncio.sleep(1)  # a second copy, were one coming, would be here by now
    assert message["X-Correlation-ID"] == "died-after-commit"
    assert len(smtp.to(booking.attendee.email)) == 1
