"""The confirmation carries the door's QR code as an inline image (cid) with the link as text
beside it; a waiting-list email carries none; the token never reaches a log line."""

from __future__ import annotations

import secrets

import pytest

from shared import qr
from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_confirmation_shows_the_checkin_qr_inline_with_a_text_link(
    infra: Infra, smtp: SmtpSink, bus: Bus, capsys: pytest.CaptureFixture[str]
) -> None:
    event = event_state()
    code = secrets.token_urlsafe(32)
    url = f"https://console.example.org/checkin/t/{code}"
    booking = booking_state(event, checkin_url=url)
    waiting = booking_state(event, status="waitlisted", waitlist_position=1, checkin_url=url + "w")
    async with notifications(infra, smtp):
        await bus.publish("catalogue.event.published", event, producer="catalogue")
        await bus.publish("bookings.booking.confirmed", booking, producer="bookings")
        await bus.publish("bookings.booking.waitlisted", waiting, producer="bookings")
        [message] = await wait_for(lambda: smtp.to(booking.attendee.email), timeout=15)
        [waited] = await wait_for(lambda: smtp.to(waiting.attendee.email), timeout=15)

    assert not message.defects
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    assert url in text and url in html
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    [image] = images
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html
    assert image.get_content_disposition() == "inline"
    # The image is the QR code of exactly this link (segno is deterministic).
    assert image.get_payload(decode=True) == qr.png(url)
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1 and html_part in related[0].get_payload()

    assert not [p for p in waited.walk() if p.get_content_type() == "image/png"]
    assert "/checkin/t/" not in waited.get_body(("plain",)).get_content()

    logged = capsys.readouterr()
    assert "email.queued" in logged.out + logged.err  # the logs were captured
    assert code not in logged.out + logged.err
