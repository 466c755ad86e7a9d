"""Names, titles and subjects built to inject headers (RFC 2047 encoded words, line breaks,
quotes, commas, `<...@...>`) go out through real SMTP and arrive as the literal text they are,
in the programme's own headers and MIME structure."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from tests.notifications.conftest import Bus, notifications
from tests.notifications.factories import booking_state, event_state
from tests.notifications.test_campaigns import create, ready_event, roster, wait_roster
from tests.support.infra import Infra
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _b(raw: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(raw).decode()}?="


# What the issue found: decoded, this became a Reply-To, a Content-Type and an HTML body.
Q_WORD = (
    "=?utf-8?q?=0D=0AReply-To=3A_x=40evil.example=0D=0AContent-Type=3A_text/html"
    "=0D=0A=0D=0A<h1>Pay_here</h1>?="
)
B_WORD = _b(b"\r\nReply-To: x@evil.example\r\nBcc: victim@evil.example\r\n\r\n<h1>Pay</h1>")
HOSTILE_NAMES = [
    Q_WORD,
    B_WORD,
    f"Zoë {B_WORD}",  # non-ASCII beside an encoded word
    "Sam\r\nReply-To: x@evil.example\r\nBcc: victim@evil.example",
    'Ann "the boss" O\'Brien, Jr. <x@evil.example>',
    '"\\=?utf-8?q?x?=" <x@evil.example>, victim@evil.example',
]
HOSTILE_TITLES = [
    Q_WORD,
    f"Tea {B_WORD}",
    "Tea\r\nReply-To: x@evil.example\r\n\r\n<h1>Pay</h1>",
]


def _shown(text: str) -> str:
    return " ".join(text.split())


def assert_programmes_own(message: EmailMessage, address: str, name: str) -> None:
    """Exactly one To with the right address and the literal name; nothing added."""
    assert not message.defects, message.defects
    assert len(message.get_all("To") or []) == 1
    [to] = message["To"].addresses
    assert to.addr_spec == address
    assert to.display_name == _shown(name)
    for added in ("Reply-To", "Bcc", "Cc"):
        assert message[added] is None, added
    assert len(message.get_all("Content-Type") or []) == 1
    assert len(message.get_all("Subject") or []) == 1
    for part in message.walk():
        assert not part.defects, part.defects


def _types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def test_booking_confirmations_show_hostile_names_and_titles_as_literal_text(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    cases = [
        (name, HOSTILE_TITLES[n % len(HOSTILE_TITLES)]) for n, name in enumerate(HOSTILE_NAMES)
    ]
    async with notifications(infra, smtp):
        sent = []
        for name, title in cases:
            event = event_state(title=title)
            await bus.publish("catalogue.event.published", event, producer="catalogue")
            booking = booking_state(event, attendee={"name": name})
            await bus.publish("bookings.booking.confirmed", booking, producer="bookings")
            sent.append((booking, name, title))
        await wait_for(
            lambda: all(smtp.to(b.attendee.email) for b, _, _ in sent),
            timeout=30,
            message="every confirmation arrived",
        )
    assert not any("evil.example" in a for r in smtp.received for a in r.rcpt_tos)
    for booking, name, title in sent:
        [message] = smtp.to(booking.attendee.email)
        assert_programmes_own(message, booking.attendee.email, name)
        assert message["Subject"] == _shown(f"Your place is confirmed: {title}")
        assert _types(message) == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
        ]
        html = message.get_body(("html",)).get_content()
        assert "<h1>" not in html
        assert booking.manage_url in message.get_body(("plain",)).get_content()


async def test_campaign_emails_show_hostile_roster_names_and_subjects_as_literal_text(
    infra: Infra, smtp: SmtpSink, bus: Bus
) -> None:
    from tests.notifications.test_campaigns import STAFF, _completed

    short_b = _b(b"\r\nReply-To: x@evil.example\r\n")
    subject = f"Invited =?utf-8?q?=0D=0ABcc=3A_v=40evil.example?= {short_b}\r\nCc: v@evil.example"
    async with notifications(infra, smtp) as (_, client):
        event = await ready_event(bus, client, title=HOSTILE_TITLES[2])
        cohort, members = await roster(
            bus, len(HOSTILE_NAMES), **{str(n): name for n, name in enumerate(HOSTILE_NAMES)}
        )
        await wait_roster(client, event, cohort, len(members))
        campaign = await create(
            client, event, subject=subject, audience={"cohort_ids": [str(cohort)]}
        )
        launched = await client.post(f"/staff/campaigns/{campaign['id']}/launch", headers=STAFF)
        assert launched.status_code == 200, launched.text
        await wait_for(lambda: all(smtp.to(m) for m in members), timeout=30)
        await wait_for(lambda: _completed(client, campaign["id"]), timeout=15)
    assert not any("evil.example" in a for r in smtp.received for a in r.rcpt_tos)
    for address, name in zip(members, HOSTILE_NAMES, strict=True):
        [message] = smtp.to(address)
        assert_programmes_own(message, address, name)
        assert message["Subject"] == _shown(subject)
        assert _types(message) == ["multipart/alternative", "text/plain", "text/html"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert _shown(name) in message.get_body(("plain",)).get_content()
        assert "<h1>" not in message.get_body(("html",)).get_content()


async def test_the_last_gate_refuses_a_line_that_is_not_exactly_one_header() -> None:
    from services.notifications.composing.headers import UnsafeHeader, checked

    assert checked(b"Subject: a\r\n b\r\n") == b"Subject: a\r\n b\r\n"
    for bad in (
        b"Subject: a\r\nBcc: x@y\r\n",
        b"Subject: a\nb\r\n",
        b"Subject: a\rb\r\n",
        b"Subject: a",
        b"\r\nSubject: a\r\n",
        "Subject: é\r\n".encode(),
        b"Subject: " + b"a" * 1000 + b"\r\n",
    ):
        with pytest.raises(UnsafeHeader):
            checked(bad)
