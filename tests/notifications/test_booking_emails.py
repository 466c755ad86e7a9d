"""Booking emails end to end in one process: messages in, real SMTP out, parsed and checked."""

from __future__ import annotations

import uuid

import icalendar
import pytest

from shared.contracts import EventState
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, cancelled, event_state, two_day_event
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def calendar_of(message) -> icalendar.Calendar:  # type: ignore[no-untyped-def]
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar attachment"
    return icalendar.Calendar.from_ical(parts[0].get_content())


async def publish_event(bus: Bus, event: EventState) -> None:
    await bus.publish("catalogue.event.published", event, producer="catalogue")


async def test_confirmation_has_both_parts_headers_and_an_invite_per_session(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = two_day_event(
        venue={"name": "Café Hall", "address": "1 Rue", "accessibility": "Lift to all floors"}
    )
    booking = booking_state(event, attendee={"name": "Zoë O'Brien"})
    async with notifications(infra, smtp) as (_, client):
        await publish_event(bus, event)
        sent = await bus.publish("bookings.booking.confirmed", booking, producer="bookings")
        [message] = await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)

        assert message["Subject"] == "Your place is confirmed: Driving Place Leadership"
        assert message["To"].addresses[0].display_name == "Zoë O'Brien"
        assert message["To"].addresses[0].addr_spec == booking.attendee.email
        assert message["X-Correlation-ID"] == sent.correlation_id
        assert message["Message-ID"].endswith("@leadinggm.example.org>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for body in (text, html):
            assert "Zoë O&#39;Brien" in body or "Zoë O'Brien" in body
            assert booking.manage_url in body
            assert "Café Hall" in body and "Lift to all floors" in body
            assert "Tuesday 14 October 2031" in body

        calendar = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        entries = calendar.walk("VEVENT")
        assert [str(e["SUMMARY"]) for e in entries] == ["Day 1", "Day 2"]
        assert all(str(e["UID"]).startswith(f"booking-{booking.booking_id}-") for e in entries)
        assert len({str(e["UID"]) for e in entries}) == 2
        assert entries[0]["DTSTART"].params["TZID"] == "Europe/London"
        assert entries[0].decoded("DTSTART").hour == 9  # 08:30 UTC is 09:30 in BST
        assert entries[0]["LOCATION"] == "Café Hall, 1 Rue"
        assert int(entries[0]["SEQUENCE"]) == booking.version + event.version
        assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"

        # The 250 is recorded a moment after the email arrived.
        [row] = await wait_for(lambda: _rows_in_state(client, booking.booking_id, "sent"))
        assert row["attempts"] == 1
        assert row["correlation_id"] == sent.correlation_id
        assert row["smtp_message_id"].startswith("OK")


async def _rows_in_state(client, booking_id: uuid.UUID, state: str) -> list[dict] | None:  # type: ignore[no-untyped-def, type-arg]
    answer = await client.get(
        "/staff/deliveries", params={"booking_id": str(booking_id)}, headers=staff()
    )
    rows = answer.json()
    return rows if rows and all(row["state"] == state for row in rows) else None


def staff() -> dict[str, str]:
    from tests.conftest import token

    return {"Authorization": f"Bearer {token('staff')}"}


async def test_cancellation_cancels_the_same_invite_with_a_higher_sequence(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state()
    booking = booking_state(event)
    async with notifications(infra, smtp):
        await publish_event(bus, event)
        await bus.publish("bookings.booking.confirmed", booking)
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        await bus.publish(
            "bookings.booking.cancelled",
            cancelled(booking, cancelled_by="staff", reason="Duplicate booking"),
        )
        first, second = await wait_for(
            lambda: (found := smtp.to(booking.attendee.email)) and len(found) == 2 and found,
            timeout=15,
        )
    request, cancel = calendar_of(first), calendar_of(second)
    assert cancel["METHOD"] == "CANCEL"
    [old], [new] = request.walk("VEVENT"), cancel.walk("VEVENT")
    assert old["UID"] == new["UID"] == f"booking-{booking.booking_id}@leadinggm.example.org"
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert new["STATUS"] == "CANCELLED"
    text = second.get_body(("plain",)).get_content()
    assert "The programme team has cancelled your booking" in text
    assert "Duplicate booking" in text


async def test_the_same_booking_message_three_times_sends_one_email(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state()
    booking = booking_state(event, status="waitlisted", waitlist_position=3)
    async with notifications(infra, smtp) as (_, client):
        await publish_event(bus, event)
        envelope = await bus.publish("bookings.booking.waitlisted", booking)
        await bus.publish_envelope(envelope)  # a redelivery: same message id
        await bus.publish("bookings.booking.waitlisted", booking)  # a re-publish: new message id
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        # Wait until all three were handled before looking for a second email.
        await wait_for(lambda: _handled(client, 3), timeout=15)
    [message] = smtp.to(booking.attendee.email)
    assert "waiting list at position 3" in message.get_body(("plain",)).get_content()


async def _handled(client, count: int) -> bool:  # type: ignore[no-untyped-def]
    metrics = (await client.get("/metrics")).text
    total = 0.0
    for line in metrics.splitlines():
        if (
            line.startswith("messages_consumed_total")
            and 'queue="notifications.booking-events"' in line
            and 'type="bookings.booking.waitlisted"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total >= count


@pytest.mark.parametrize("name", ["<script>alert('x')</script>", "Sam\r\nBcc: victim@example.org"])
async def test_hostile_names_break_nothing_and_inject_no_header(
    infra: Infra, smtp: SmtpSink, bus: Bus, name: str
) -> None:
    event = event_state(title="Tea & <b>Talk</b>\nX-Injected: yes")
    booking = booking_state(event, attendee={"name": name})
    async with notifications(infra, smtp):
        await publish_event(bus, event)
        await bus.publish("bookings.booking.confirmed", booking)
        [message] = await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert [r.rcpt_tos for r in smtp.received if booking.attendee.email in r.rcpt_tos] == [
        [booking.attendee.email]
    ]
    assert message["To"].addresses[0].display_name == " ".join(name.split())
    assert message["Subject"] == "Your place is confirmed: Tea & <b>Talk</b> X-Injected: yes"
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>Talk</b>" not in html
    assert "Tea &amp; &lt;b&gt;Talk&lt;/b&gt;" in html
    text = message.get_body(("plain",)).get_content()
    assert " ".join(name.split()) in text
    assert calendar_of(message).walk("VEVENT")[0]["ATTENDEE"].params["CN"] == " ".join(name.split())


async def test_a_second_booking_attempt_resends_the_manage_link_once_per_request(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    event = event_state(title="Adaptive Leadership")
    booking = booking_state(event, attendee={"name": "Sam Again"})
    async with notifications(infra, smtp) as (_, client):
        await publish_event(bus, event)
        await bus.publish("bookings.booking.confirmed", booking)
        await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        request = await bus.publish("bookings.booking.manage_link_requested", booking)
        await bus.publish_envelope(request)  # the same request delivered again
        [_, resent] = await wait_for(
            lambda: len(smtp.to(booking.attendee.email)) == 2 and smtp.to(booking.attendee.email),
            timeout=15,
        )
        assert resent["Subject"] == "Your booking link: Adaptive Leadership"
        text = resent.get_body(("plain",)).get_content()
        assert booking.manage_url in text and "a confirmed place" in text
        assert not [p for p in resent.walk() if p.get_content_type() == "text/calendar"]
        # A later, separate request is a new email (bookings spaces these out itself).
        await bus.publish("bookings.booking.manage_link_requested", booking)
        await wait_for(lambda: len(smtp.to(booking.attendee.email)) == 3, timeout=15)
        # The duplicate was queued before the third request, so it has been handled by now:
        # one row per request, none for the copy.
        rows = (
            await client.get(
                "/staff/deliveries",
                params={"booking_id": str(booking.booking_id)},
                headers=staff(),
            )
        ).json()
        assert sorted(row["kind"] for row in rows) == ["confirmation", "manage_link", "manage_link"]
    assert len(smtp.to(booking.attendee.email)) == 3
