"""What an event publishes: its whole bookable state, with the venue, people and programme
written out, so consumers never need to ask the catalogue anything."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.catalogue.domain.events import Event, stored_id
from services.catalogue.domain.people import Person
from services.catalogue.domain.programmes import Programme
from services.catalogue.domain.venues import Venue
from shared.contracts import (
    AudienceState,
    EventCancelled,
    EventOption,
    EventResource,
    EventSession,
    EventState,
    OptionGroup,
    PersonOnEvent,
)


@dataclass(frozen=True)
class EventContext:
    """The records an event refers to, as they are now."""

    programme: Programme | None = None
    venue: Venue | None = None
    people: Mapping[uuid.UUID, Person] = field(default_factory=dict)


def routing_key(event: Event, *, first: bool = False) -> str:
    if event.status == "cancelled":
        return "catalogue.event.cancelled"
    return "catalogue.event.published" if first else "catalogue.event.updated"


def to_state(event: Event, context: EventContext) -> EventState:
    if event.status == "draft":
        raise ValueError("a draft publishes nothing")
    programme = context.programme
    values = {
        **{name: getattr(event, name) for name in _COPIED},
        "event_id": event.id,
        "programme_name": programme.name if programme else "",
        "programme_slug": programme.slug if programme else "",
        "privacy_notice_url": programme.privacy_notice_url if programme else "",
        "privacy_notice_version": programme.privacy_notice_version if programme else "",
        "venue": context.venue.to_state() if context.venue else None,
        "audience": AudienceState(
            kind=event.audience.kind, cohort_ids=list(event.audience.cohort_ids)
        ),
        "expectations": programme.expectation_names(event.expectations) if programme else [],
        **_parts(event, context.people),
    }
    if event.status == "cancelled":
        return EventCancelled(**values, reason=event.cancel_reason)
    return EventState(**values, status=event.status)


_COPIED = (
    "version",
    "programme_id",
    "slug",
    "kind",
    "title",
    "summary",
    "description",
    "timezone",
    "starts_at",
    "ends_at",
    "capacity",
    "booking_opens_at",
    "booking_closes_at",
    "waitlist_enabled",
)


def option_groups(event: Event) -> list[OptionGroup]:
    """The groups in the order their first option comes; the unnamed one has the event's id
    (as bookings' migration gave the options from before groups)."""
    groups: dict[uuid.UUID, OptionGroup] = {}
    for o in event.options:
        group_id = o.group_id or event.id
        groups.setdefault(
            group_id, OptionGroup(group_id=group_id, name=o.group_name, required=o.group_required)
        )
    return list(groups.values())


def _parts(event: Event, people: Mapping[uuid.UUID, Person]) -> dict[str, list[Any]]:
    return {
        "sessions": [
            EventSession(
                session_id=stored_id(s.id), title=s.title, starts_at=s.starts_at, ends_at=s.ends_at
            )
            for s in event.sessions
        ],
        "options": [
            EventOption(
                option_id=stored_id(o.id),
                name=o.name,
                description=o.description,
                capacity=o.capacity,
                group_id=o.group_id or event.id,
            )
            for o in event.options
        ],
        "option_groups": option_groups(event),
        "people": [
            PersonOnEvent(
                person_id=a.person_id,
                name=people[a.person_id].name,
                title=people[a.person_id].title,
                organisation=people[a.person_id].organisation,
                role=a.role,
                day=a.day,
            )
            for a in event.people
            if a.person_id in people
        ],
        "resources": [
            EventResource(resource_id=stored_id(r.id), title=r.title, url=r.url, kind=r.kind)
            for r in event.resources
        ],
    }
