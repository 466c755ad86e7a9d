"""MIME messages: every email is multipart/alternative (plain text and HTML), UTF-8.

`compose` uses the standard library's email package, for transactional emails (one at a time,
sometimes with a calendar invite). `FastMime` writes the same structure directly, for campaign
emails, where the email package's ~1.5 ms per message would cost more than the SMTP exchange:
headers that are the same for every invitee are folded once, bodies are base64 of UTF-8.
Names and subjects pass through `clean_header` first either way: no line break, no injection.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, parseaddr

from services.notifications.domain.emails import clean_header

Header = tuple[str, str]


@dataclass(frozen=True)
class CalendarPart:
    method: str
    ics: str


def domain_of(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: uuid.UUID, mail_from: str) -> str:
    """Stable per delivery, so a mail server can recognise a resend of the same email."""
    return f"<{delivery_id}@{domain_of(mail_from)}>"


class InvalidRecipient(ValueError):
    """The address cannot be written in an email header at all."""


def address(name: str | None, email: str) -> Address:
    """A To address whose display name is quoted or encoded as it needs: a name like
    `<script>` or `Zoë, "Jr."` stays one name, and line breaks are gone before that."""
    try:
        return Address(display_name=clean_header(name or ""), addr_spec=email.strip())
    except (ValueError, IndexError, TypeError) as exc:
        raise InvalidRecipient(f"not a usable address: {exc}") from None


# Names and addresses that need no quoting or encoding (most of them): written directly.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 '\-]{1,60}")
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,190}")


def to_header(name: str | None, email: str) -> bytes:
    display, email = " ".join((name or "").split()), email.strip()
    if _PLAIN_ADDRESS.fullmatch(email) and (not display or _PLAIN_NAME.fullmatch(display)):
        return (f"To: {display} <{email}>\r\n" if display else f"To: {email}\r\n").encode()
    return SMTP.header_factory("To", [address(name, email)]).fold(policy=SMTP).encode("ascii")


def compose(
    *,
    message_id: str,
    mail_from: str,
    to_name: str | None,
    to_email: str,
    subject: str,
    text: str,
    html: str,
    correlation_id: str | None,
    calendar: CalendarPart | None = None,
    headers: Sequence[Header] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = address(to_name, to_email)
    message["Subject"] = clean_header(subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    if correlation_id:
        message["X-Correlation-ID"] = clean_header(correlation_id)
    for name, value in headers:
        message[name] = clean_header(value, limit=900)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if calendar is not None:
        # As text, not bytes: bytes would arrive as an opaque attachment with garbled
        # non-ASCII; text keeps its charset (see MACHINE-NOTES).
        message.add_attachment(
            calendar.ics,
            subtype="calendar",
            filename="invite.ics",
            params={"method": calendar.method},
        )
    return message.as_bytes(policy=SMTP)


def _base64_lines(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


def _fold(name: str, value: str) -> bytes:
    # Through the header factory, so non-ASCII becomes encoded words even in a short header
    # (`policy.fold` passes short values through untouched).
    return SMTP.header_factory(name, value).fold(policy=SMTP).encode("ascii")


def _verbatim(name: str, value: str) -> bytes:
    """A header written as given: for URLs (`List-Unsubscribe`), which folding would turn into
    encoded words that no mail client follows. Refuses anything that is not one ASCII line."""
    line = f"{name}: {value}"
    if "\r" in line or "\n" in line or len(line) > 990 or not line.isascii():
        raise ValueError(f"{name} cannot be written verbatim")
    return f"{line}\r\n".encode("ascii")


class FastMime:
    """The header lines every recipient shares are folded once; per recipient, only the
    address, ids and bodies are written. `static` and per-recipient `headers` are written
    verbatim (URL headers), so they must be single ASCII lines."""

    def __init__(
        self, *, mail_from: str, subject: str, correlation_id: str | None, static: Sequence[Header]
    ) -> None:
        self.boundary = f"=_{uuid.uuid4().hex}"
        shared = [("From", mail_from), ("Subject", clean_header(subject))]
        if correlation_id:
            shared.append(("X-Correlation-ID", clean_header(correlation_id)))
        self._shared = b"".join(_fold(name, value) for name, value in shared) + b"".join(
            _verbatim(name, value) for name, value in static
        )
        self._tail = (
            b"MIME-Version: 1.0\r\n"
            + f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n\r\n'.encode()
        )
        self._part = f"--{self.boundary}\r\n".encode()
        self._end = f"--{self.boundary}--\r\n".encode()

    def build(
        self,
        *,
        to_name: str | None,
        to_email: str,
        message_id: str,
        text: str,
        html: str,
        headers: Sequence[Header] = (),
        date: str | None = None,
    ) -> bytes:
        head = [
            to_header(to_name, to_email),
            f"Date: {date or formatdate(usegmt=True)}\r\nMessage-ID: {message_id}\r\n".encode(),
            *(_verbatim(name, value) for name, value in headers),
        ]
        return b"".join(
            [
                self._shared,
                *head,
                self._tail,
                self._part,
                b'Content-Type: text/plain; charset="utf-8"\r\n'
                b"Content-Transfer-Encoding: base64\r\n\r\n",
                _base64_lines(text),
                self._part,
                b'Content-Type: text/html; charset="utf-8"\r\n'
                b"Content-Transfer-Encoding: base64\r\n\r\n",
                _base64_lines(html),
                self._end,
            ]
        )
