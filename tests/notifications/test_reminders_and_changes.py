"""Reminders (on time, never late, never for cancelled bookings or events, never twice) and
"the event changed" emails with an updated invite (and without one for those waiting)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.persistence.tables import deliveries, events, reminders
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, cancelled, event_state
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def reminder_states(engine: AsyncEngine, booking_id: uuid.UUID) -> dict[int, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(reminders.c.offset_seconds, reminders.c.state).where(
                reminders.c.booking_id == booking_id
            )
        )
        return {row.offset_seconds: row.state for row in rows}


def _subjects(smtp: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address)]


async def _reminder_due_at(engine: AsyncEngine, booking_id: uuid.UUID) -> datetime:
    async with engine.connect() as conn:
        due = await conn.scalar(
            sa.select(reminders.c.due_at).where(reminders.c.booking_id == booking_id)
        )
    assert isinstance(due, datetime)
    return due


async def _reminder_deliveries(engine: AsyncEngine, booking_id: uuid.UUID) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                sa.select(sa.func.count()).where(
                    deliveries.c.booking_id == booking_id, deliveries.c.kind == "reminder"
                )
            )
            or 0
        )


async def test_reminders_on_time_once_and_never_for_a_cancelled_booking(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    # The event starts three hours ahead, so nothing falls due while the bookings and the
    # cancellation are consumed, however slow the machine; the keeper's reminder is then
    # brought due (as the clock reaching it would), after the leaver's was cancelled. A window
    # of seconds between "published" and "due" failed on a busy machine.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    event = event_state(starts_at=start, ends_at=start + timedelta(hours=2))
    keeper, leaver = booking_state(event), booking_state(event)
    offsets = [timedelta(hours=2), timedelta(days=1)]  # the day-before one is already past
    # Two processes run the scheduler over the same rows: still one reminder each. The grace
    # is long: dropping a late reminder has its own test, and a slow pass must not drop it.
    async with (
        notifications(infra, smtp, reminder_offsets=offsets) as (first, _),
        notifications(infra, smtp, reminder_offsets=offsets) as (second, _),
    ):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", keeper)
        await bus.publish("bookings.booking.confirmed", leaver)
        await wait_for(
            lambda: smtp.to(keeper.attendee.email) and smtp.to(leaver.attendee.email), timeout=60
        )
        assert await reminder_states(notif_engine, keeper.booking_id) == {7200: "pending"}
        assert await _reminder_due_at(notif_engine, keeper.booking_id) == start - offsets[0]
        await bus.publish("bookings.booking.cancelled", cancelled(leaver))
        await wait_for(lambda: len(smtp.to(leaver.attendee.email)) == 2, timeout=60)
        assert await reminder_states(notif_engine, leaver.booking_id) == {7200: "cancelled"}

        due = datetime.now(UTC) + timedelta(seconds=1)
        async with notif_engine.begin() as conn:
            await conn.execute(
                sa.update(reminders)
                .where(reminders.c.event_id == event.event_id)
                .values(due_at=due)
            )
        reminder = await wait_for(
            lambda: [m for m in smtp.to(keeper.attendee.email) if "Reminder" in str(m["Subject"])],
            timeout=60,
            message="the keeper's reminder",
        )
        arrived = datetime.now(UTC)
        # A pass of each scheduler after the reminder went: neither may queue it again.
        await first.state.workers.scheduler.run_once()
        await second.state.workers.scheduler.run_once()
        assert await _reminder_deliveries(notif_engine, keeper.booking_id) == 1
    assert arrived >= due, "never before it is due"
    assert len(reminder) == 1
    assert str(reminder[0]["Subject"]) == f"Reminder: {event.title} in 2 hours"
    assert not any("Reminder" in s for s in _subjects(smtp, leaver.attendee.email))
    assert await reminder_states(notif_engine, leaver.booking_id) == {7200: "cancelled"}
    assert await reminder_states(notif_engine, keeper.booking_id) == {7200: "queued"}


async def test_a_reminder_missed_while_down_is_dropped_not_sent_late(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    event = event_state()  # a month ahead: a 7-day reminder is pending
    booking = booking_state(event)
    async with notifications(infra, smtp, run_scheduler=False):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", booking)
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=10)
    # The service was down while the reminder fell due, an hour ago (the grace is 30 minutes).
    async with notif_engine.begin() as conn:
        await conn.execute(
            sa.update(reminders)
            .where(reminders.c.booking_id == booking.booking_id)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    async with notifications(infra, smtp) as (app, _):
        await app.state.workers.scheduler.run_once()
        states = await reminder_states(notif_engine, booking.booking_id)
    assert set(states.values()) == {"dropped"}
    assert len(smtp.to(booking.attendee.email)) == 1


async def _replica_version(engine: AsyncEngine, event_id: uuid.UUID) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(sa.select(events.c.version).where(events.c.event_id == event_id)) or 0
        )


async def _changed_emails(engine: AsyncEngine, event_id: uuid.UUID) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                sa.select(sa.func.count()).where(
                    deliveries.c.event_id == event_id, deliveries.c.kind == "event_changed"
                )
            )
            or 0
        )


async def test_event_changes_reach_every_confirmed_person_with_an_updated_invite(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    event = event_state()
    confirmed = [booking_state(event) for _ in range(3)]
    waiting = booking_state(event, status="waitlisted", waitlist_position=1)
    later = event.model_copy(
        update={
            "version": 2,
            "starts_at": event.starts_at + timedelta(days=1),
            "ends_at": event.ends_at + timedelta(days=1),
            "venue": event.venue.model_copy(update={"name": "The Lowry"}),  # type: ignore[union-attr]
        }
    )
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event)
        for booking in [*confirmed, waiting]:
            await bus.publish(f"bookings.booking.{booking.status}", booking)
        await wait_for(
            lambda: all(smtp.to(b.attendee.email) for b in [*confirmed, waiting]), timeout=15
        )
        await bus.publish("catalogue.event.updated", later)
        await bus.publish("catalogue.event.updated", later)  # repeated: no second round
        await wait_for(
            lambda: all(len(smtp.to(b.attendee.email)) == 2 for b in [*confirmed, waiting]),
            timeout=15,
        )
        summary = later.model_copy(update={"version": 3, "summary": "New words only"})
        await bus.publish("catalogue.event.updated", summary)
        await wait_for(
            lambda: _version_is(notif_engine, event.event_id, 3), timeout=10, message="v3 applied"
        )
        # Emails are queued in the transaction that applies the version: none for a summary.
        assert await _changed_emails(notif_engine, event.event_id) == 4
    for booking in confirmed:
        first, second = smtp.to(booking.attendee.email)
        assert len(smtp.to(booking.attendee.email)) == 2
        assert str(second["Subject"]) == f"New details for {event.title}"
        text = second.get_body(("plain",)).get_content()
        assert "the time and the venue" in text and "The Lowry" in text
        old = icalendar.Calendar.from_ical(
            next(p for p in first.walk() if p.get_content_type() == "text/calendar").get_content()
        )
        new = icalendar.Calendar.from_ical(
            next(p for p in second.walk() if p.get_content_type() == "text/calendar").get_content()
        )
        [a], [b] = old.walk("VEVENT"), new.walk("VEVENT")
        assert a["UID"] == b["UID"] and int(b["SEQUENCE"]) > int(a["SEQUENCE"])
        assert b.decoded("DTSTART") - a.decoded("DTSTART") == timedelta(days=1)
    # Those waiting are told too (they would otherwise still believe the old date), without
    # a calendar invite: they have no place to put in a diary.
    _, told = smtp.to(waiting.attendee.email)
    assert str(told["Subject"]) == f"New details for {event.title}"
    assert not any(p.get_content_type() == "text/calendar" for p in told.walk())
    assert "The Lowry" in told.get_body(("plain",)).get_content()


async def _version_is(engine: AsyncEngine, event_id: uuid.UUID, version: int) -> bool:
    return await _replica_version(engine, event_id) == version
