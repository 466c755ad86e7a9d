"""What an event publishes: every field of the contract filled from the event and what it
refers to, and the cancelled state with its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.catalogue.domain import events as rules
from services.catalogue.domain.event_state import EventContext, routing_key, to_state
from services.catalogue.domain.events import Appearance, Audience, Option, Resource, Session
from services.catalogue.domain.people import Person
from services.catalogue.domain.programmes import Expectation, Programme
from services.catalogue.domain.venues import Venue
from shared.contracts import EventCancelled, EventState

T0 = datetime(2030, 5, 11, 8, 0, tzinfo=UTC)


def full_event() -> tuple[rules.Event, EventContext]:
    programme = Programme(
        uuid.uuid4(),
        "leading-gm",
        "Leading GM",
        expectations=(Expectation("build-trust", "Build trust"),),
        privacy_notice_url="https://leadinggm.example.org/privacy",
        privacy_notice_version="2026-11",
    )
    venue = Venue(
        uuid.uuid4(),
        "Salford Innovation Forum",
        "Frederick Road",
        "Step-free",
        "https://example.org/map",
    )
    person = Person(uuid.uuid4(), "Amara Okafor", "Director", "Leading GM")
    day2 = T0 + timedelta(days=42)
    event = rules.new_event(
        slug="immersion-days",
        title="Immersion days",
        starts_at=T0,
        ends_at=day2 + timedelta(hours=8),
        capacity=100,
        programme_id=programme.id,
        kind="immersion",
        summary="Two days",
        description="Long text",
        timezone="Europe/Dublin",
        venue_id=venue.id,
        sessions=(
            Session(None, T0, T0 + timedelta(hours=8), "Day one"),
            Session(None, day2, day2 + timedelta(hours=8), "Day two"),
        ),
        options=(Option(None, "Street Wisdom", 30, "Walk"),),
        audience=Audience("cohorts", (uuid.uuid4(),)),
        booking_opens_at=T0 - timedelta(days=60),
        booking_closes_at=T0 - timedelta(days=1),
        waitlist_enabled=False,
        people=(Appearance(person.id, "facilitator", day2.date()),),
        resources=(Resource(None, "Slides", "https://example.org/s.pdf", "slides"),),
        expectations=("build-trust",),
    )
    event = rules.publish(event, now=T0 - timedelta(days=90))
    return event, EventContext(programme=programme, venue=venue, people={person.id: person})


def test_every_field_of_the_state_is_filled() -> None:
    event, context = full_event()
    state = to_state(event, context)
    assert isinstance(state, EventState)
    defaults = EventState.model_validate(
        {
            "event_id": uuid.uuid4(),
            "version": 99,
            "title": "x",
            "starts_at": T0 - timedelta(days=999),
            "ends_at": T0 - timedelta(days=998),
            "capacity": 0,
        }
    )
    unfilled = [
        name
        for name in EventState.model_fields
        if name not in ("status",) and getattr(state, name) == getattr(defaults, name)
    ]
    assert unfilled == []
    assert state.venue and state.venue.venue_id == context.venue.id  # type: ignore[union-attr]
    assert [p.model_dump() for p in state.people] == [
        {
            "name": "Amara Okafor",
            "title": "Director",
            "organisation": "Leading GM",
            "role": "facilitator",
            "person_id": event.people[0].person_id,
            "day": (T0 + timedelta(days=42)).date(),
        }
    ]
    assert state.expectations == ["Build trust"]
    assert state.sessions[1].session_id == event.sessions[1].id
    assert state.options[0].option_id == event.options[0].id
    assert routing_key(event, first=True) == "catalogue.event.published"
    assert routing_key(event) == "catalogue.event.updated"


def test_a_cancelled_event_carries_its_reason() -> None:
    event, context = full_event()
    cancelled = rules.cancel(event, reason="Venue closed")
    state = to_state(cancelled, context)
    assert isinstance(state, EventCancelled)
    assert (state.status, state.reason, state.version) == ("cancelled", "Venue closed", 2)
    assert routing_key(cancelled) == "catalogue.event.cancelled"


def test_a_draft_publishes_nothing() -> None:
    event, context = full_event()
    with pytest.raises(ValueError):
        to_state(rules.Event(**{**vars(event), "status": "draft"}), context)
