"""What an SMTP attempt came to: sent, failed for now (retry later), or refused for good."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosmtplib

OutcomeKind = Literal["sent", "failed", "rejected"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    # The server's answer to DATA when sent; the error text otherwise.
    detail: str


def _codes(exc: BaseException) -> list[int]:
    """Answers about this email: its recipient or its content. A refusal of the connection,
    the greeting or our sender address is about the server or our setup, not this email."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return [e.code for e in exc.recipients]
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return [exc.code]
    return []


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer for this recipient or this message will not change on a retry; nor will
    an address that cannot be written in SMTP at all. Anything else (no connection, a 4xx, a
    timeout, the server refusing everyone) is worth retrying."""
    if isinstance(exc, UnicodeEncodeError | aiosmtplib.SMTPNotSupported):
        return True
    if isinstance(exc, ValueError) and not isinstance(exc, aiosmtplib.SMTPException):
        return True
    codes = _codes(exc)
    return bool(codes) and all(500 <= code < 600 for code in codes)


def of_error(exc: BaseException) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    return Outcome("rejected" if is_permanent(exc) else "failed", error)
