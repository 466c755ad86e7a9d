"""A booking and the messages it becomes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.contracts import Attendee, BookingState


def email_key(email: str) -> str:
    """One person per event: addresses compare trimmed and case-insensitively."""
    return email.strip().lower()


def new_manage_token() -> tuple[str, bytes]:
    """An unguessable token for the booker's manage link; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Booking:
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    email: str
    name: str
    organisation: str
    created_at: datetime
    updated_at: datetime
    waitlist_seq: int | None = None
    version: int = 1


def to_state(
    booking: Booking,
    *,
    event_version: int | None,
    manage_url: str,
    waitlist_position: int | None = None,
) -> BookingState:
    return BookingState(
        booking_id=booking.id,
        version=booking.version,
        event_id=booking.event_id,
        event_version=event_version,
        status=booking.status,  # type: ignore[arg-type]
        waitlist_position=waitlist_position,
        attendee=Attendee(
            name=booking.name, email=booking.email, organisation=booking.organisation
        ),
        manage_url=manage_url,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )
