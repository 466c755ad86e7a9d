"""A booking, the changes it allows, and the messages it becomes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from shared.contracts import (
    Attendee,
    BookingCancelled,
    BookingChanged,
    BookingChoice,
    BookingState,
)
from shared.errors import Conflict

ACTIVE = ("confirmed", "waitlisted")
CancelledBy = Literal["attendee", "staff", "event"]
# A second booking attempt re-sends the manage link, at most this often per booking, so a
# stranger typing someone's address cannot flood their inbox.
RESEND_INTERVAL = timedelta(minutes=15)


def email_key(email: str) -> str:
    """One person per event: addresses compare trimmed and case-insensitively."""
    return email.strip().lower()


@dataclass(frozen=True)
class Details:
    """What the booker tells us about themselves, beyond the name and the address."""

    organisation: str = ""
    role: str = ""
    sector: str | None = None
    dietary_needs: str = ""
    access_needs: str = ""
    consent_to_contact: bool = False


@dataclass(frozen=True)
class Booking:
    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    email: str
    name: str
    details: Details
    created_at: datetime
    updated_at: datetime
    # The options held, at most one per option group, in the groups' order.
    option_ids: tuple[uuid.UUID, ...] = ()
    waitlist_seq: int | None = None
    partner_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    version: int = 1
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    was_status: str | None = None
    link_resent_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def _next(self, now: datetime, **changes: object) -> Booking:
        return replace(self, version=self.version + 1, updated_at=now, **changes)  # type: ignore[arg-type]

    def cancel(self, *, by: CancelledBy, reason: str, now: datetime) -> Booking:
        if not self.active:
            raise Conflict("this booking is already cancelled", code="already_cancelled")
        return self._next(
            now, status="cancelled", cancelled_by=by, cancel_reason=reason, was_status=self.status
        )

    def promote(self, *, now: datetime) -> Booking:
        if self.status != "waitlisted":
            raise Conflict("only a booking on the waiting list can be promoted", code="not_waiting")
        return self._next(now, status="confirmed")

    def change(
        self, *, now: datetime, option_ids: tuple[uuid.UUID, ...], details: Details
    ) -> Booking:
        if not self.active:
            raise Conflict("a cancelled booking cannot be changed", code="already_cancelled")
        return self._next(now, option_ids=option_ids, details=details)

    def may_resend_link(self, now: datetime) -> bool:
        return self.link_resent_at is None or now - self.link_resent_at >= RESEND_INTERVAL


@dataclass(frozen=True)
class MessageContext:
    """What a message about a booking needs besides the booking itself."""

    event_version: int | None
    manage_url: str
    # The booking's choices as the message carries them, in the groups' order.
    choices: tuple[BookingChoice, ...] = ()
    waitlist_position: int | None = None
    checkin_url: str | None = None


def _fields(booking: Booking, ctx: MessageContext) -> dict[str, object]:
    d = booking.details
    return {
        "booking_id": booking.id,
        "version": booking.version,
        "event_id": booking.event_id,
        "event_version": ctx.event_version,
        "status": booking.status,
        "waitlist_position": ctx.waitlist_position if booking.status == "waitlisted" else None,
        "option_id": ctx.choices[0].option_id if ctx.choices else None,
        "option_name": ctx.choices[0].option_name if ctx.choices else None,
        "choices": list(ctx.choices),
        "attendee": Attendee(
            name=booking.name,
            email=booking.email,
            organisation=d.organisation,
            role=d.role,
            sector=d.sector,  # type: ignore[arg-type]
            dietary_needs=d.dietary_needs,
            access_needs=d.access_needs,
            consent_to_contact=d.consent_to_contact,
        ),
        "manage_url": ctx.manage_url,
        "checkin_url": ctx.checkin_url,
        "partner_id": booking.partner_id,
        "campaign_id": booking.campaign_id,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
    }


def to_state(booking: Booking, ctx: MessageContext) -> BookingState:
    return BookingState(**_fields(booking, ctx))  # type: ignore[arg-type]


def to_changed(
    booking: Booking, ctx: MessageContext, *, previous: tuple[BookingChoice, ...]
) -> BookingChanged:
    return BookingChanged(
        **_fields(booking, ctx),  # type: ignore[arg-type]
        previous_option_id=previous[0].option_id if previous else None,
        previous_option_name=previous[0].option_name if previous else None,
        previous_choices=list(previous),
    )


def to_cancelled(booking: Booking, ctx: MessageContext) -> BookingCancelled:
    return BookingCancelled(
        **_fields(booking, ctx),  # type: ignore[arg-type]
        cancelled_by=booking.cancelled_by or "attendee",  # type: ignore[arg-type]
        reason=booking.cancel_reason or "",
        was_status=booking.was_status,  # type: ignore[arg-type]
    )
