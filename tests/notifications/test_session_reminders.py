"""A reminder before each session (Immersion day two weeks after day one gets its own), and a
session change tells confirmed people (updated invite, higher SEQUENCE) and waiting people
(no invite), with each session's pending reminders moved with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.persistence.tables import reminders
from shared.contracts import EventSession
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def rows(
    engine: AsyncEngine, booking_id: uuid.UUID
) -> list[tuple[uuid.UUID, int, object, str]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            sa.select(
                reminders.c.session_id,
                reminders.c.offset_seconds,
                reminders.c.due_at,
                reminders.c.state,
            )
            .where(reminders.c.booking_id == booking_id)
            .order_by(reminders.c.due_at)
        )
        return [tuple(r) for r in found]  # type: ignore[misc]


def _session(title: str, start: datetime, hours: float = 1) -> EventSession:
    return EventSession(
        session_id=uuid.uuid4(),
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )


async def test_each_session_gets_its_reminder_naming_it(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    offsets = [timedelta(seconds=4)]
    async with notifications(
        infra, smtp, reminder_offsets=offsets, reminder_grace=timedelta(seconds=3)
    ):
        # Timed from when the service is up: day two's reminder falls after day one ended.
        now = datetime.now(UTC)
        one = _session("Day one", now + timedelta(seconds=7), hours=2 / 3600)
        two = _session("Day two", now + timedelta(seconds=14), hours=1)
        event = event_state(
            title="Immersion",
            starts_at=one.starts_at,
            ends_at=two.ends_at,
            sessions=[two.model_dump(), one.model_dump()],
        )
        booking = booking_state(event)
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", booking)
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=10)
        assert [(r[0], r[1]) for r in await rows(notif_engine, booking.booking_id)] == [
            (one.session_id, 4),
            (two.session_id, 4),
        ]

        def sent() -> list[str]:
            return [
                str(m["Subject"])
                for m in smtp.to(booking.attendee.email)
                if "Reminder" in str(m["Subject"])
            ]

        subjects = await wait_for(lambda: len(sent()) == 2 and sent(), timeout=20)
    assert subjects == [
        "Reminder: Immersion, Day one in 1 minute",
        "Reminder: Immersion, Day two in 1 minute",
    ]
    reminder = next(m for m in smtp.to(booking.attendee.email) if "Day two" in str(m["Subject"]))
    text = reminder.get_body(("plain",)).get_content()
    assert "A reminder that Day two of this event is in 1 minute" in text
    assert {r[3] for r in await rows(notif_engine, booking.booking_id)} == {"queued"}


async def test_a_session_change_tells_confirmed_and_waiting_and_moves_its_reminders(
    infra: Infra, smtp: SmtpSink, bus: Bus, notif_engine: AsyncEngine
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    one, two = _session("Day one", start, 7), _session("Day two", start + timedelta(days=21), 7)
    event = event_state(
        title="Immersion",
        starts_at=start,
        ends_at=two.ends_at,
        sessions=[one.model_dump(), two.model_dump()],
    )
    confirmed = booking_state(event)
    waiting = booking_state(event, status="waitlisted", waitlist_position=1)
    moved = two.model_copy(
        update={
            "starts_at": two.starts_at + timedelta(days=7),
            "ends_at": two.ends_at + timedelta(days=7),
        }
    )
    later = event.model_copy(
        update={"version": 2, "ends_at": moved.ends_at, "sessions": [one, moved]}
    )
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event)
        await bus.publish("bookings.booking.confirmed", confirmed)
        await bus.publish("bookings.booking.waitlisted", waiting)
        await wait_for(
            lambda: smtp.to(confirmed.attendee.email) and smtp.to(waiting.attendee.email),
            timeout=15,
        )
        before = await rows(notif_engine, confirmed.booking_id)
        await bus.publish("catalogue.event.updated", later)
        await wait_for(
            lambda: (
                len(smtp.to(confirmed.attendee.email)) == 2
                and len(smtp.to(waiting.attendee.email)) == 2
            ),
            timeout=15,
        )
        after = await rows(notif_engine, confirmed.booking_id)
    # Day one's reminders stay; day two's keep their offsets from its new start.
    assert [r for r in after if r[0] == one.session_id] == [
        r for r in before if r[0] == one.session_id
    ]
    assert {(r[1], r[2]) for r in after if r[0] == two.session_id} == {
        (seconds, moved.starts_at - timedelta(seconds=seconds)) for seconds in (7 * 86_400, 86_400)
    }
    first, second = smtp.to(confirmed.attendee.email)
    assert str(second["Subject"]) == "New details for Immersion"

    def entries(message: object) -> dict[str, icalendar.Event]:
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")  # type: ignore[attr-defined]
        calendar = icalendar.Calendar.from_ical(part.get_content())
        return {str(e["UID"]): e for e in calendar.walk("VEVENT")}

    old, new = entries(first), entries(second)
    assert old.keys() == new.keys() and len(new) == 2
    for uid in new:
        assert int(new[uid]["SEQUENCE"]) > int(old[uid]["SEQUENCE"])
    assert sorted(e.decoded("DTSTART") for e in new.values())[1] == moved.starts_at
    told = smtp.to(waiting.attendee.email)[1]
    assert str(told["Subject"]) == "New details for Immersion"
    assert not any(p.get_content_type() == "text/calendar" for p in told.walk())
    text = told.get_body(("plain",)).get_content()
    assert "on the waiting list for have changed" in text and "Day two" in text
