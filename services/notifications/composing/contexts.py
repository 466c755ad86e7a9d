"""What templates see: plain dicts built from message payloads, and sample data for previews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifications.domain.emails import format_when
from shared.contracts import Attendee, BookingChoice, BookingState, EventState


def display_name(name: str) -> str:
    """A name as shown in a body: whitespace (line breaks included) collapsed."""
    return " ".join(name.split())


def event_context(event: EventState) -> dict[str, Any]:
    sessions = [
        {
            "title": s.title or event.title,
            "when": format_when(s.starts_at, s.ends_at, event.timezone),
        }
        for s in event.sessions
    ]
    return {
        "title": event.title,
        "summary": event.summary,
        "when": format_when(event.starts_at, event.ends_at, event.timezone),
        "sessions": sessions,
        "venue": event.venue.model_dump() if event.venue else None,
    }


def choices_text(choices: Sequence[BookingChoice], fallback: str | None) -> str | None:
    """Every group's choice in one phrase, for the templates' `option_name`: the option alone
    when there is one choice (as before groups), "Dinner: Canal walk; Workshop: Morning"
    when there are several."""
    if len(choices) <= 1:
        return choices[0].option_name if choices else fallback
    return "; ".join(
        f"{c.group_name}: {c.option_name}" if c.group_name else c.option_name for c in choices
    )


def booking_context(booking: BookingState, **extra: Any) -> dict[str, Any]:
    return {
        "name": display_name(booking.attendee.name),
        "status": booking.status,
        "manage_url": booking.manage_url,
        "waitlist_position": booking.waitlist_position,
        "option_name": choices_text(booking.choices, booking.option_name),
        "choices": [{"group": c.group_name, "option": c.option_name} for c in booking.choices],
        "previous_option_name": extra.pop("previous_option_name", None),
        **extra,
    }


def _sample_event() -> EventState:
    start = datetime(2027, 10, 17, 8, 30, tzinfo=UTC)
    return EventState.model_validate(
        {
            "event_id": uuid.UUID(int=1),
            "version": 1,
            "title": "Reunion and Reflection",
            "summary": "Cohorts 1 and 2 come back together to reflect on a year of leading.",
            "timezone": "Europe/London",
            "starts_at": start,
            "ends_at": start + timedelta(hours=7),
            "capacity": 120,
            "venue": {
                "name": "Salford Innovation Forum",
                "address": "51 Frederick Road, Salford M6 6FP",
                "accessibility": "Step-free access throughout; hearing loop in the main hall.",
            },
        }
    )


SAMPLE_EVENT = _sample_event()
SAMPLE_BOOKING = BookingState(
    booking_id=uuid.UUID(int=2),
    version=1,
    event_id=SAMPLE_EVENT.event_id,
    status="confirmed",
    option_name="Street Wisdom walk",
    attendee=Attendee(name="Sam Leader", email="sam.leader@example.org"),
    manage_url="https://bookings.example.org/manage/sample-token",
    created_at=datetime(2027, 9, 1, tzinfo=UTC),
    updated_at=datetime(2027, 9, 1, tzinfo=UTC),
)


def sample_context(name: str) -> dict[str, Any]:
    """Template context with sample data, for staff previews and test sends."""
    context: dict[str, Any] = {
        "event": event_context(SAMPLE_EVENT),
        "booking": booking_context(
            SAMPLE_BOOKING, previous_option_name="Dinner with a Difference: cookery"
        ),
        "cancelled_by": "attendee",
        "was_status": "confirmed",
        "reason": "",
        "has_calendar": name in ("confirmation", "promoted", "changed", "event_changed"),
        "changes": ["the time", "the venue"],
        "relative": "tomorrow",
        "invitee": {"name": "Sam Leader"},
        "booking_url": "https://bookings.example.org/book/sample?invitation=sample",
        "unsubscribe_url": "https://notifications.example.org/public/unsubscribe/sample",
        "decline_url": "https://notifications.example.org/public/answers/sample",
        "message_paragraphs": ["We would love to see you again."],
        # Previews and test sends carry no check-in code: a sample one would admit nobody.
        "checkin": None,
    }
    return context
