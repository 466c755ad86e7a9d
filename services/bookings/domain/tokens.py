"""Manage and check-in tokens: the booking id plus an HMAC of it under the service's key.

Nothing secret is stored: the token can be rebuilt for every message about the booking (the
manage link goes in each email), and checking one needs no lookup by token. Unguessable
without the key; a malformed or forged token is simply "no such booking".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

_MAC_BYTES = 16
_CONTEXT = b"bookings.manage-token.v1:"
# A check-in token is MACed under its own context, so it is a different value from the manage
# token of the same booking: the door screen that shows it cannot cancel the booking, and a
# manage token is no check-in token.
_CHECKIN_CONTEXT = b"bookings.checkin-token.v1:"


def _mac(key: bytes, booking_id: uuid.UUID, context: bytes = _CONTEXT) -> bytes:
    return hmac.new(key, context + booking_id.bytes, hashlib.sha256).digest()[:_MAC_BYTES]


def manage_token(key: bytes, booking_id: uuid.UUID) -> str:
    raw = booking_id.bytes + _mac(key, booking_id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def checkin_token(key: bytes, booking_id: uuid.UUID) -> str:
    raw = booking_id.bytes + _mac(key, booking_id, _CHECKIN_CONTEXT)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def booking_id_from_checkin_token(key: bytes, token: str) -> uuid.UUID | None:
    """The booking a check-in token names, or None when it is malformed or not ours."""
    return booking_id_from_token(key, token, _CHECKIN_CONTEXT)


def booking_id_from_token(key: bytes, token: str, context: bytes = _CONTEXT) -> uuid.UUID | None:
    """The booking a token names, or None when the token is malformed or not ours."""
    if len(token) != 43:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    # The 43rd character carries two bits the decoder drops: four spellings of one token would
    # all pass, so only the one we issue is accepted.
    if len(raw) != 16 + _MAC_BYTES or base64.urlsafe_b64encode(raw)[:43].decode() != token:
        return None
    booking_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(key, booking_id, context)):
        return None
    return booking_id


def manage_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/manage/{token}"


def checkin_url(console_url: str, token: str) -> str:
    """Where the QR code leads: the console's check-in link page (door staff sign in there)."""
    return f"{console_url.rstrip('/')}/checkin/t/{token}"
