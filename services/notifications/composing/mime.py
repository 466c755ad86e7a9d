"""MIME messages: multipart/alternative (plain text and HTML, UTF-8, base64), inside
multipart/mixed with a text/calendar invite when there is one.

Written directly rather than through `email.message.EmailMessage`: profiling showed the email
package costing ~3 ms per message (header parsing, content managers, the generator), more than
all the rest of a booking's handling. Headers still go through the standard library's header
folding (`email.policy.SMTP`), so names and subjects are quoted or RFC 2047-encoded exactly as it
would; and everything passes through `clean_header` first: no line break, no injection. Tests
parse every kind of message back with the email package and check it has no defects.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
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
) -> bytes:
    """One transactional email, with its calendar invite if it has one."""
    head = [
        _fold("From", mail_from),
        to_header(to_name, to_email),
        _fold("Subject", clean_header(subject)),
        f"Date: {formatdate(usegmt=True)}\r\nMessage-ID: {message_id}\r\n".encode(),
    ]
    if correlation_id:
        head.append(_fold("X-Correlation-ID", clean_header(correlation_id)))
    return b"".join(head) + body(text, html, calendar)


def body(text: str, html: str, calendar: CalendarPart | None = None) -> bytes:
    """From `MIME-Version` on: the two alternatives, and the invite beside them (so mail
    clients show the text or the HTML, and offer the calendar entry)."""
    alternative = f"=_{uuid.uuid4().hex}"
    parts = [
        f"--{alternative}\r\n".encode(),
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        _base64_lines(text),
        f"--{alternative}\r\n".encode(),
        b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        _base64_lines(html),
        f"--{alternative}--\r\n".encode(),
    ]
    if calendar is None:
        head = f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{alternative}"'
        return b"".join([f"{head}\r\n\r\n".encode(), *parts])
    mixed = f"=_{uuid.uuid4().hex}"
    # The invite travels as text with its charset (not as opaque bytes), so non-ASCII names
    # and places arrive intact (see MACHINE-NOTES).
    method = "CANCEL" if calendar.method == "CANCEL" else "REQUEST"
    return b"".join(
        [
            f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{mixed}"\r\n\r\n'
            f"--{mixed}\r\n"
            f'Content-Type: multipart/alternative; boundary="{alternative}"\r\n\r\n'.encode(),
            *parts,
            f"--{mixed}\r\n"
            f'Content-Type: text/calendar; charset="utf-8"; method="{method}"\r\n'
            "Content-Transfer-Encoding: base64\r\n"
            'Content-Disposition: attachment; filename="invite.ics"\r\n\r\n'.encode(),
            _base64_lines(calendar.ics),
            f"--{mixed}--\r\n".encode(),
        ]
    )


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
        shared = [("From", mail_from), ("Subject", clean_header(subject))]
        if correlation_id:
            shared.append(("X-Correlation-ID", clean_header(correlation_id)))
        self._shared = b"".join(_fold(name, value) for name, value in shared) + b"".join(
            _verbatim(name, value) for name, value in static
        )

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
            self._shared,
            to_header(to_name, to_email),
            f"Date: {date or formatdate(usegmt=True)}\r\nMessage-ID: {message_id}\r\n".encode(),
            *(_verbatim(name, value) for name, value in headers),
        ]
        return b"".join(head) + body(text, html)
