"""The pool's own SMTP transaction (sending/transaction.py) against a real aiosmtpd server:
what arrives is byte for byte the message (dots doubled on the wire and undone, bare line
endings made CRLF), refusals and silences become the outcomes aiosmtplib's errors gave, and
an address with more than a mailbox in it is cut to its mailbox (as aiosmtplib did) and can
add nothing to the command line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications.sending.pool import TRANSACTIONAL, PoolConfig, SmtpPool
from services.notifications.sending.ratelimit import TokenBucket
from services.notifications.sending.transaction import data_payload, envelope_address
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.asyncio(loop_scope="session")


class RawSink(SmtpSink):
    """Keeps the exact bytes of each message; DATA for `slow` never answers."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []
        self.busy: set[str] = set()
        self.slow = False

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.busy:
            return "451 4.3.0 try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.slow:
            await asyncio.sleep(30)
        self.raw.append(envelope.original_content or b"")
        return await super().handle_DATA(server, session, envelope)


@contextlib.asynccontextmanager
async def pool(port: int, **config: Any) -> AsyncIterator[SmtpPool]:
    settings: dict[str, Any] = dict(
        host="127.0.0.1",
        port=port,
        timeout=10,
        connections=1,
        max_per_connection=100,
        idle_seconds=5,
        mail_from="Programme <programme@leadinggm.example.org>",
    )
    smtp = SmtpPool(PoolConfig(**{**settings, **config}), TokenBucket(0))
    smtp.start()
    try:
        yield smtp
    finally:
        await smtp.stop()


DOTTED = b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n"


async def test_messages_arrive_exactly_and_refusals_keep_their_meaning() -> None:
    sink = RawSink()
    await sink.start()
    sink.refuse.add("gone@example.org")
    sink.busy.add("busy@example.org")
    try:
        async with pool(sink.port) as smtp:
            dotted = await smtp.submit("ann@example.org", DOTTED, priority=TRANSACTIONAL)
            bare = await smtp.submit(
                "bob@example.org", b"Subject: lf\n\nline one\nline two", priority=TRANSACTIONAL
            )
            refused = await smtp.submit("gone@example.org", DOTTED, priority=TRANSACTIONAL)
            busy = await smtp.submit("busy@example.org", DOTTED, priority=TRANSACTIONAL)
            smuggling = await smtp.submit(
                "cy@example.org> NOTIFY=NEVER", DOTTED, priority=TRANSACTIONAL
            )
            after = await smtp.submit("di@example.org", DOTTED, priority=TRANSACTIONAL)
    finally:
        await sink.stop()
    sent = (dotted, bare, smuggling, after)
    assert [o.kind for o in sent] == ["sent"] * 4, sent
    assert sink.raw[0] == DOTTED and sink.raw[2:] == [DOTTED, DOTTED]
    assert sink.raw[1] == b"Subject: lf\r\n\r\nline one\r\nline two\r\n"
    assert [r.rcpt_tos for r in sink.received] == [
        ["ann@example.org"],
        ["bob@example.org"],
        ["cy@example.org"],
        ["di@example.org"],
    ]
    assert refused.kind == "permanent" and "550" in refused.detail
    assert busy.kind == "temporary" and "451" in busy.detail


async def test_a_server_that_goes_silent_mid_transaction_defers_the_email() -> None:
    sink = RawSink()
    await sink.start()
    sink.slow = True
    try:
        async with pool(sink.port, timeout=0.5) as smtp:
            silent = await smtp.submit("ann@example.org", DOTTED, priority=TRANSACTIONAL)
    finally:
        await sink.stop()
    assert silent.kind == "unavailable"
    assert silent.detail == "SMTPReadTimeoutError: Timed out waiting for server response"


@pytest.mark.asyncio(loop_scope="session")
async def test_the_fast_paths_give_what_aiosmtplib_would_write() -> None:
    assert envelope_address("ann.o'neil+x@example.org") == b"<ann.o'neil+x@example.org>"
    assert envelope_address('"ann leader"@example.org') == b'<"ann leader"@example.org>'
    assert envelope_address("ann@example.org\r\nRCPT TO:<x@y.org>") == b"<ann@example.org>"
    for hostile in ("<a@example.org\r\nRCPT TO:x@y.org>", "a@example.org\nDATA", "a b@c.org"):
        try:
            line = envelope_address(hostile)
        except ValueError:
            continue
        assert b"\r" not in line and b"\n" not in line and b" " not in line, line
    with pytest.raises(UnicodeEncodeError):
        envelope_address("zoë@example.org")
    assert data_payload(b"a\r\nb\r\n") == b"a\r\nb\r\n.\r\n"
    assert data_payload(b"a\r\n.b") == b"a\r\n..b\r\n.\r\n"
    assert data_payload(b"a\rb\n") == b"a\r\nb\r\n.\r\n"


async def test_a_message_is_composed_by_its_worker_and_a_failed_composition_is_unsendable() -> None:
    """Composed at send time, one email at a time per connection (a batch composed up front
    held the event loop while every connection's answer waited); a composer that raises
    makes that one email unsendable and the connection carries on."""
    sink = RawSink()
    await sink.start()
    composed: list[str] = []

    def compose(address: str) -> bytes:
        composed.append(address)
        return DOTTED

    def broken() -> bytes:
        raise ValueError("no template")

    try:
        async with pool(sink.port) as smtp:
            first = smtp.submit("ann@example.org", lambda: compose("ann"), priority=TRANSACTIONAL)
            failed = smtp.submit("bob@example.org", broken, priority=TRANSACTIONAL)
            last = smtp.submit("cy@example.org", lambda: compose("cy"), priority=TRANSACTIONAL)
            # Nothing is composed before a worker takes the job.
            assert composed == []
            outcomes = [await first, await failed, await last]
    finally:
        await sink.stop()
    assert [o.kind for o in outcomes] == ["sent", "unsendable", "sent"], outcomes
    assert "could not compose the email: ValueError: no template" in outcomes[1].detail
    assert composed == ["ann", "cy"]
    assert sink.raw == [DOTTED, DOTTED]
