"""One SMTP transaction (MAIL, RCPT, DATA) on a connection aiosmtplib opened, secured and
logged in.

Not aiosmtplib's `mail`/`rcpt`/`data`: in `make bench-campaign` they cost about 200 us of CPU
per email, most of it per command (a `wait_for` timer, the command lock, `parseaddr` of the
address) and two regular-expression passes over the whole message (line endings and
dot-stuffing). Here the transaction has one deadline, the commands go through the protocol's
own `write`/`read_response`, a plain address is checked by one regular expression (anything
else goes through aiosmtplib's quoting, as before), and the message is rewritten only when it
needs it. Answers, exceptions and their texts are aiosmtplib's, so `domain/outcomes.py` reads
them as before.
"""

from __future__ import annotations

import asyncio
import re

import aiosmtplib
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import (
    COMMAND_INJECTION_REGEX,
    PERIOD_REGEX,
    SMTPProtocol,
    normalize_message_line_endings,
)
from aiosmtplib.response import SMTPResponse

# A dot-atom address (nearly all of them): safe on a command line as it is.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}")
_SERVICE_UNAVAILABLE = 421


def envelope_address(address: str) -> bytes:
    """`<address>` for MAIL FROM / RCPT TO. Refuses (ValueError, UnicodeEncodeError: the email
    is unsendable) what aiosmtplib would refuse."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    quoted = quote_address(address).encode("ascii")
    if COMMAND_INJECTION_REGEX.search(quoted):
        raise ValueError("Command arg contains a prohibited control character")
    return quoted


def data_payload(message: bytes) -> bytes:
    """The message as DATA sends it: CRLF line endings, leading dots doubled, the final dot.
    Messages from `composing/` already have CRLF and no line starting with a dot (headers and
    base64), so the rewrite is skipped for them; anything else is rewritten as aiosmtplib
    would."""
    if message.count(b"\n") != message.count(b"\r\n") or message.count(b"\r") != message.count(
        b"\r\n"
    ):
        message = normalize_message_line_endings(message)
    elif not message.endswith(b"\r\n"):
        message += b"\r\n"
    if message.startswith(b".") or b"\n." in message:
        message = PERIOD_REGEX.sub(b"..", message)
    return message + b".\r\n"


async def _command(smtp: aiosmtplib.SMTP, line: bytes) -> SMTPResponse:
    protocol: SMTPProtocol | None = smtp.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Server not connected")
    protocol.write(line)  # raises SMTPServerDisconnected once the line is gone
    response = await protocol.read_response(timeout=None)  # the transaction's deadline holds
    if response.code == _SERVICE_UNAVAILABLE:
        smtp.close()  # as aiosmtplib does: the server is closing this connection
    return response


async def mail(smtp: aiosmtplib.SMTP, sender: str, sender_line: bytes) -> None:
    """`sender_line` is `MAIL FROM:<...>\\r\\n`, written once per pool."""
    response = await _command(smtp, sender_line)
    if response.code != 250:
        raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)


async def rcpt_and_data(smtp: aiosmtplib.SMTP, recipient: str, message: bytes) -> SMTPResponse:
    """RCPT TO, DATA and the message; the server's answer to it (250)."""
    response = await _command(smtp, b"RCPT TO:" + envelope_address(recipient) + b"\r\n")
    if response.code not in (250, 251):
        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
    payload = data_payload(message)
    response = await _command(smtp, b"DATA\r\n")
    if response.code != 354:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    response = await _command(smtp, payload)
    if response.code != 250:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    return response


def deadline(seconds: float) -> asyncio.Timeout:
    """One timeout for the whole transaction (aiosmtplib had one per command)."""
    return asyncio.timeout(seconds)
