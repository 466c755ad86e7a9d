"""The one rule for an email address entering the system, wherever it enters.

Our sender speaks plain SMTP (no SMTPUTF8), so an address must be writable in ASCII:
- an internationalised domain (`jane@exämple.org`) is accepted and kept in its IDNA form
  (`jane@xn--exmple-cua.org`), which every mail server accepts and which reaches the same
  mailbox;
- a non-ASCII local part (`zoë@example.org`) cannot be delivered without SMTPUTF8, so it is
  refused with a reason that says so, rather than accepted and parked for ever;
- reserved domains (`.test`, `.invalid`, `.localhost`) cannot receive mail and are refused, as
  pydantic's `EmailStr` did.
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints, WithJsonSchema

MAX_LENGTH = 254
# The everyday address, `jane.doe+events@council.gov.uk`: letters, digits and `._%+-` before
# the @ (dots only between characters), an ASCII host name after it whose last label is all
# letters. email_validator's general parser cost ~6 % of a booking's CPU under a rush; for
# these it can only answer "valid, the domain lower-cased", so that is answered here
# (tests/unit/test_addresses.py checks the two agree). Anything else goes to email_validator.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+[a-z]{{2,63}}")
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")


class InvalidAddress(ValueError):
    """Not an address we can send to; the text says why."""


def _plain(address: str) -> str | None:
    """The normalised form of an everyday address, or None to let email_validator judge."""
    local, at, domain = address.rpartition("@")
    if not at or len(local) > 64 or len(address) > MAX_LENGTH or "--" in domain:
        return None
    domain = domain.lower()
    if not _PLAIN_LOCAL.fullmatch(local) or not _PLAIN_DOMAIN.fullmatch(domain):
        return None
    if domain.rsplit(".", 1)[-1] in _SPECIAL_USE:  # each is a top-level name
        return None
    return f"{local}@{domain}"


def normalise_address(raw: str) -> str:
    """The address as stored and sent to: ASCII, the domain lower-cased and in IDNA form."""
    plain = _plain(raw.strip())
    if plain is not None:
        return plain
    try:
        result = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        reason = str(exc)
        if "Internationalized characters before the @-sign" in reason:
            reason += " Our mail server can only deliver to addresses that are ASCII before the @."
        raise InvalidAddress(reason) from None
    address = result.ascii_email or result.normalized
    if len(address) > MAX_LENGTH:
        raise InvalidAddress(f"The address is longer than {MAX_LENGTH} characters.")
    return address


def _validated(value: str) -> str:
    try:
        return normalise_address(value)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


# For API schemas, in place of `EmailStr`: a 422 naming the field, with the reason.
EmailAddress = Annotated[
    str,
    StringConstraints(max_length=MAX_LENGTH * 2),
    AfterValidator(_validated),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": MAX_LENGTH}),
]
