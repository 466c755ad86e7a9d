"""Mail-bombing through book-and-cancel: transactional emails to one address are capped per
hour; beyond the cap they are `suppressed` (never queued, never sent), counted on /metrics
and logged once, with the address masked."""

from __future__ import annotations

import pytest

from services.notifications.metrics import SUPPRESSED
from tests.conftest import token
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}
CAP = 3


async def test_emails_to_one_address_beyond_the_hourly_cap_are_suppressed(
    infra: Infra, smtp: SmtpSink, bus: Bus, capfd: pytest.CaptureFixture[str]
) -> None:
    event = event_state()
    victim = booking_state(event).attendee.email
    # Twelve bookings made in the victim's name (as a book-and-cancel loop would).
    bookings = [
        booking_state(event, attendee={"name": "Someone", "email": victim}) for _ in range(12)
    ]
    other = booking_state(event)
    before = (
        SUPPRESSED.labels("confirmation")._value.get() + SUPPRESSED.labels("cancelled")._value.get()
    )
    # One booking message at a time: handlers running at once each count without the others'
    # uncommitted rows, so the cap holds to within the messages in flight (README).
    async with notifications(infra, smtp, recipient_hourly_cap=CAP, booking_prefetch=1) as (
        _,
        client,
    ):
        await bus.publish("catalogue.event.published", event)
        for booking in bookings:
            await bus.publish("bookings.booking.confirmed", booking)
        await bus.publish("bookings.booking.confirmed", other)

        async def settled() -> list[dict] | None:  # type: ignore[type-arg]
            rows = []
            for booking in bookings:
                answer = await client.get(
                    "/staff/deliveries",
                    params={"booking_id": str(booking.booking_id)},
                    headers=STAFF,
                )
                rows += answer.json()
            done = len(rows) == 12 and all(r["state"] in ("sent", "suppressed") for r in rows)
            return rows if done else None

        rows = await wait_for(settled, timeout=60, interval=0.5, message="twelve emails settled")
        await wait_for(lambda: smtp.to(other.attendee.email), timeout=15)
    after = (
        SUPPRESSED.labels("confirmation")._value.get() + SUPPRESSED.labels("cancelled")._value.get()
    )
    suppressed = [r for r in rows if r["state"] == "suppressed"]
    assert len(smtp.to(victim)) == CAP
    assert len(suppressed) == 12 - CAP and all(r["reason"] == "recipient_cap" for r in suppressed)
    assert after - before == 12 - CAP
    assert all(r["attempts"] == 0 for r in suppressed)  # never claimed, never sent
    assert len(smtp.to(other.attendee.email)) == 1  # other people's emails are not affected
    out = capfd.readouterr().out
    logged = [line for line in out.splitlines() if "email.suppressed_over_cap" in line]
    assert len(logged) == 1, "logged once, not once per email"
    assert victim not in out and victim.lower() not in out.lower()
