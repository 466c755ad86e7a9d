"""Composing one booking email (confirmation, cancellation, reminder...) into MIME bytes, with
its calendar invite when the kind carries one. Done when the email is queued, so the email
says what was true for that version of the booking, however late it is sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.notifications.composing.contexts import booking_context, event_context
from services.notifications.composing.mime import (
    CalendarPart,
    InlineImage,
    compose,
    domain_of,
    message_id_for,
    sender_of,
)
from services.notifications.composing.rendering import render
from services.notifications.domain import emails
from services.notifications.settings import NotificationsSettings
from shared import qr
from shared.calendar_invites import Invitee, Organiser, calendar_invite
from shared.contracts import BookingState, EventState

# The kinds that tell someone they have a place: they carry the door's QR code.
_WITH_CHECKIN = frozenset({"confirmation", "promoted", "changed", "reminder"})


@dataclass(frozen=True)
class BookingEmail:
    """What to say: the template, the subject's wording, and anything the template needs
    beyond the booking and the event."""

    kind: str
    subject_kind: str | None = None
    calendar_method: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    relative: str = ""


@dataclass(frozen=True)
class Composed:
    delivery_id: uuid.UUID
    subject: str
    message: bytes
    message_id: str


def _calendar(
    email: BookingEmail, booking: BookingState, event: EventState, settings: NotificationsSettings
) -> CalendarPart | None:
    if email.calendar_method is None:
        return None
    organiser_name, organiser_email = sender_of(settings.mail_from)
    ics = calendar_invite(
        method="CANCEL" if email.calendar_method == "CANCEL" else "REQUEST",
        booking_id=booking.booking_id,
        event=event,
        invitee=Invitee(booking.attendee.name, booking.attendee.email, booking.manage_url),
        organiser=Organiser(organiser_name or settings.programme_name, organiser_email),
        sequence=emails.calendar_sequence(booking.version, event.version),
        domain=domain_of(settings.mail_from),
        stamp=datetime.now(UTC),
    )
    return CalendarPart(email.calendar_method, ics)


def _checkin(
    email: BookingEmail,
    booking: BookingState,
    delivery_id: uuid.UUID,
    settings: NotificationsSettings,
) -> tuple[dict[str, str] | None, list[InlineImage]]:
    """The check-in link and its QR code as an inline image, for a confirmed place. The link
    holds a secret token: it goes into the email and nowhere else (never a log line)."""
    if email.kind not in _WITH_CHECKIN or booking.status != "confirmed" or not booking.checkin_url:
        return None, []
    content_id = f"checkin-{delivery_id.hex}@{domain_of(settings.mail_from)}"
    image = InlineImage(content_id, qr.png(booking.checkin_url), "check-in.png")
    return {"url": booking.checkin_url, "qr_cid": content_id}, [image]


def _title(email: BookingEmail, event: EventState) -> str:
    """The event's title, with the session's when a reminder is for one of several."""
    session = email.extra.get("session")
    return f"{event.title}, {session['title']}" if session else event.title


def compose_booking_email(
    email: BookingEmail,
    *,
    booking: BookingState,
    event: EventState,
    settings: NotificationsSettings,
    correlation_id: str | None,
) -> Composed:
    delivery_id = uuid.uuid4()
    subject = emails.subject(
        email.subject_kind or email.kind, title=_title(email, event), relative=email.relative
    )
    calendar = _calendar(email, booking, event, settings)
    checkin, images = _checkin(email, booking, delivery_id, settings)
    content = render(
        email.kind,
        subject=subject,
        programme_name=settings.programme_name,
        booking=booking_context(booking, **email.extra.get("booking", {})),
        event=event_context(event),
        has_calendar=calendar is not None,
        relative=email.relative,
        checkin=checkin,
        **{k: v for k, v in email.extra.items() if k != "booking"},
    )
    message_id = message_id_for(delivery_id, settings.mail_from)
    raw = compose(
        message_id=message_id,
        mail_from=settings.mail_from,
        to_name=booking.attendee.name,
        to_email=booking.attendee.email,
        subject=subject,
        text=content.text,
        html=content.html,
        correlation_id=correlation_id,
        calendar=calendar,
        images=images,
    )
    return Composed(delivery_id, subject, raw, message_id)
