"""MIME messages: multipart/alternative (plain text and HTML, UTF-8, base64), inside
multipart/mixed with a text/calendar invite when there is one; an HTML part with inline
images (the check-in QR code) is a multipart/related of the HTML and the images, which it
shows by `cid:`.

Written directly rather than through `email.message.EmailMessage`: profiling showed the email
package costing ~3 ms per message (header parsing, content managers, the generator), more than
all the rest of a booking's handling. Every header line is written by `headers.py`, which never
lets a parser decode what a person typed and checks each line is exactly one header; bodies are
base64 under random boundaries, so no text can touch the MIME structure. Tests parse every kind
of message back with the email package and check it has no defects.
"""

from __future__ import annotations

import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate, parseaddr
from functools import lru_cache

from services.notifications.composing.headers import (
    address_header,
    checked,
    text_header,
    verbatim_header,
)

Header = tuple[str, str]


@dataclass(frozen=True)
class CalendarPart:
    method: str
    ics: str


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML shows as `<img src="cid:{content_id}">`. `content_id` and
    `filename` are ours (never typed by a person): plain ASCII."""

    content_id: str
    data: bytes
    filename: str
    media_type: str = "image/png"


@lru_cache(maxsize=16)
def sender_of(mail_from: str) -> tuple[str, str]:
    """`MAIL_FROM`'s display name and address. Cached: the email package's address parser
    costs ~30 us, and a booking email asked for it five times with the same setting."""
    return parseaddr(mail_from)


def domain_of(mail_from: str) -> str:
    address = sender_of(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: uuid.UUID, mail_from: str) -> str:
    """Stable per delivery, so a mail server can recognise a resend of the same email."""
    return f"<{delivery_id}@{domain_of(mail_from)}>"


def to_header(name: str | None, email: str) -> bytes:
    return address_header("To", name, email)


@lru_cache(maxsize=16)
def from_header(mail_from: str) -> bytes:
    name, email = sender_of(mail_from)
    return address_header("From", name, email)


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
    images: Sequence[InlineImage] = (),
) -> bytes:
    """One transactional email, with its calendar invite and inline images if it has them."""
    head = [
        from_header(mail_from),
        to_header(to_name, to_email),
        text_header("Subject", subject),
        _date_and_id(formatdate(usegmt=True), message_id),
    ]
    if correlation_id:
        head.append(text_header("X-Correlation-ID", correlation_id))
    return b"".join(head) + body(text, html, calendar, images)


_HTML_HEAD = (
    b'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
)


def _html_part(html: str, images: Sequence[InlineImage]) -> list[bytes]:
    if not images:
        return [_HTML_HEAD, _base64_lines(html)]
    related = f"=_{uuid.uuid4().hex}"
    parts = [
        f'Content-Type: multipart/related; boundary="{related}"; type="text/html"\r\n\r\n'
        f"--{related}\r\n".encode(),
        _HTML_HEAD,
        _base64_lines(html),
    ]
    for image in images:
        parts += [
            f"--{related}\r\nContent-Type: {image.media_type}\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f"Content-ID: <{image.content_id}>\r\n"
            f'Content-Disposition: inline; filename="{image.filename}"\r\n\r\n'.encode("ascii"),
            base64_crlf(image.data),
        ]
    return [*parts, f"--{related}--\r\n".encode()]


def body(
    text: str,
    html: str,
    calendar: CalendarPart | None = None,
    images: Sequence[InlineImage] = (),
) -> bytes:
    """From `MIME-Version` on: the two alternatives, and the invite beside them (so mail
    clients show the text or the HTML, and offer the calendar entry)."""
    alternative = f"=_{uuid.uuid4().hex}"
    parts = [
        f"--{alternative}\r\n".encode(),
        b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
        _base64_lines(text),
        f"--{alternative}\r\n".encode(),
        *_html_part(html, images),
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
    return base64_crlf(text.encode("utf-8"))


def base64_crlf(data: bytes) -> bytes:
    """`base64.encodebytes(data)` with CRLF line ends, byte for byte: encoded in one call and
    cut into lines of 76, where encodebytes encodes 57 bytes at a time (a third of the cost of
    composing a campaign copy went there)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def _date_and_id(date: str, message_id: str) -> bytes:
    return checked(f"Date: {date}\r\n".encode("ascii")) + verbatim_header("Message-ID", message_id)


class FastMime:
    """The header lines every recipient shares are folded once; per recipient, only the
    address, ids and bodies are written. `static` and per-recipient `headers` are written
    verbatim (URL headers), so they must be single ASCII lines."""

    def __init__(
        self, *, mail_from: str, subject: str, correlation_id: str | None, static: Sequence[Header]
    ) -> None:
        shared = [from_header(mail_from), text_header("Subject", subject)]
        if correlation_id:
            shared.append(text_header("X-Correlation-ID", correlation_id))
        shared.extend(verbatim_header(name, value) for name, value in static)
        self._shared = b"".join(shared)

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
            _date_and_id(date or formatdate(usegmt=True), message_id),
            *(verbatim_header(name, value) for name, value in headers),
        ]
        return b"".join(head) + body(text, html)
