"""What an SMTP attempt came to, told apart by what it means for the email:

- `sent`: the server answered 250 to DATA (`detail` is its answer);
- `unavailable`: no connection, a timeout, a dropped line, the server refusing everyone (421,
  our sender address refused): the server is away, so the email waits for it;
- `temporary`: a 4xx for this address or this message;
- `permanent`: a 5xx for this address or this message: a retry will not change it;
- `unsendable`: the email cannot be written in SMTP (or composed) at all;
- `lapsed`: never started, because this sender's claim was about to run out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosmtplib

OutcomeKind = Literal["sent", "unavailable", "temporary", "permanent", "unsendable", "lapsed"]


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


def kind_of(exc: BaseException) -> OutcomeKind:
    if isinstance(exc, UnicodeEncodeError | aiosmtplib.SMTPNotSupported):
        return "unsendable"
    # (A certificate the server cannot prove is a ValueError too, but it is our setup's.)
    if isinstance(exc, ValueError) and not isinstance(exc, aiosmtplib.SMTPException | OSError):
        return "unsendable"
    codes = _codes(exc)
    if codes and all(500 <= code < 600 for code in codes):
        return "permanent"
    if codes and all(400 <= code < 500 and code != 421 for code in codes):
        return "temporary"
    return "unavailable"


def of_error(exc: BaseException) -> Outcome:
    return Outcome(kind_of(exc), f"{type(exc).__name__}: {exc}"[:2000])
