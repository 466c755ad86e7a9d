"""Turning what the use cases return into the public answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.bookings.api import event_display
from services.bookings.api.schemas import (
    Choice,
    EventAvailability,
    ManagedBooking,
    OptionAvailability,
    OptionGroupAvailability,
)
from services.bookings.domain.admission import EventFacts, booking_state
from services.bookings.domain.bookings import Booking
from services.bookings.domain.capacity import Places
from shared.contracts import BookingChoice, EventState


def event_availability(state: dict[str, Any], places: Places) -> EventAvailability:
    event = EventState.model_validate(state)
    facts = EventFacts(
        event_id=event.event_id,
        version=event.version,
        status=event.status,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        booking_opens_at=event.booking_opens_at,
        booking_closes_at=event.booking_closes_at,
    )
    now = datetime.now(UTC)
    remaining = places.remaining()
    groups = option_groups(places)
    return EventAvailability(
        event_id=event.event_id,
        title=event.title,
        summary=event.summary,
        description=event.description,
        kind=event.kind,
        slug=event.slug,
        programme_id=event.programme_id,
        programme_name=event.programme_name,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        venue=event_display.venue(event),
        sessions=event_display.sessions(event),
        people=event_display.people(event),
        capacity=places.capacity,
        remaining=remaining,
        waiting=places.waiting,
        waitlist_enabled=places.waitlist_enabled,
        status=event.status,
        privacy_notice_url=event.privacy_notice_url,
        audience={"kind": event.audience.kind},  # type: ignore[arg-type]
        window={  # type: ignore[arg-type]
            "opens_at": facts.booking_opens_at,
            "closes_at": facts.closes_at,
            "open": facts.window_open(now),
        },
        options=[o for g in groups for o in g.options],
        option_groups=groups,
        booking_state=booking_state(facts, remaining, places.waitlist_enabled, now),  # type: ignore[arg-type]
    )


def option_groups(places: Places) -> list[OptionGroupAvailability]:
    """The groups still offering options, in order, each with its options and their places."""
    groups: dict[uuid.UUID, OptionGroupAvailability] = {}
    for o in places.options.values():
        if o.withdrawn:
            continue
        group = groups.setdefault(
            o.group_id,
            OptionGroupAvailability(
                group_id=o.group_id, name=o.group_name, required=o.group_required, options=[]
            ),
        )
        group.options.append(
            OptionAvailability(
                option_id=o.option_id,
                group_id=o.group_id,
                name=o.name,
                description=o.description,
                capacity=o.capacity,
                remaining=places.remaining((o.option_id,)),
                waiting=o.waiting,
            )
        )
    return list(groups.values())


def choices_out(choices: Sequence[BookingChoice]) -> list[Choice]:
    return [Choice(**c.model_dump()) for c in choices]


def managed_booking(
    booking: Booking,
    *,
    facts: EventFacts,
    state: dict[str, Any],
    choices: Sequence[BookingChoice],
    position: int | None,
    ics_url: str,
) -> ManagedBooking:
    d = booking.details
    event = EventState.model_validate(state)
    confirmed = booking.status == "confirmed" and facts.status == "published"
    return ManagedBooking(
        booking_id=booking.id,
        event_id=booking.event_id,
        event_title=facts.title,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        timezone=event.timezone,
        sessions=event_display.sessions(event),
        venue=event_display.venue(event),
        calendar=event_display.calendar_links(event, ics_url) if confirmed else None,
        status=booking.status,  # type: ignore[arg-type]
        waitlist_position=position,
        option_id=choices[0].option_id if choices else None,
        option_name=choices[0].option_name if choices else None,
        choices=choices_out(choices),
        name=booking.name,
        email=booking.email,
        organisation=d.organisation,
        role=d.role,
        sector=d.sector,  # type: ignore[arg-type]
        dietary_needs=d.dietary_needs,
        access_needs=d.access_needs,
        consent_to_contact=d.consent_to_contact,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
    )
