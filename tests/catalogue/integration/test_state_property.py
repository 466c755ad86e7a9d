"""Property: whatever sequence of edits staff make (to the event, its venue, its people, its
programme; valid or refused; publishing, cancelling), after every step the last message a
published event left in the outbox equals its state in the database, and its versions run
1, 2, 3... without a gap or a repeat."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from services.catalogue.api.schemas.events import EventCreate, EventUpdate
from services.catalogue.api.schemas.people import PersonCreate, PersonUpdate
from services.catalogue.api.schemas.programmes import ProgrammeCreate, ProgrammeUpdate
from services.catalogue.api.schemas.venues import VenueCreate, VenueUpdate
from services.catalogue.domain.event_state import to_state
from services.catalogue.handlers import events, people, programmes, venues
from services.catalogue.persistence import events as store
from services.catalogue.persistence.context import context
from shared.db import Database
from shared.errors import DomainError
from tests.catalogue.support import at, emitted_for, unique

pytestmark = pytest.mark.asyncio(loop_scope="session")

START = at(50, 8)
words = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)
sessions = st.sampled_from(
    [
        [{"starts_at": START, "ends_at": START + timedelta(hours=8)}],
        [
            {"title": "Day one", "starts_at": START, "ends_at": START + timedelta(hours=4)},
            {
                "title": "Day two",
                "starts_at": START + timedelta(days=1),
                "ends_at": START + timedelta(days=1, hours=4),
            },
        ],
    ]
)
options = st.lists(
    st.tuples(st.sampled_from(["Street Wisdom", "The A Teams", "Barnabus"]), st.integers(0, 40)),
    max_size=3,
    unique_by=lambda o: o[0],
).map(lambda opts: [{"name": n, "capacity": c} for n, c in opts])
event_changes = st.one_of(
    st.fixed_dictionaries({"title": words}),
    st.fixed_dictionaries({"capacity": st.integers(0, 150)}),
    st.fixed_dictionaries({"options": options}),
    st.fixed_dictionaries({"summary": words, "waitlist_enabled": st.booleans()}),
    st.fixed_dictionaries(
        {"ends_at": st.sampled_from([START + timedelta(days=2), START + timedelta(days=3)])}
    ),
    st.fixed_dictionaries({"sessions": sessions}),
    st.fixed_dictionaries(
        {"audience": st.sampled_from([{"kind": "public"}, {"kind": "invitation"}])}
    ),
    st.fixed_dictionaries(
        {"expectations": st.sampled_from([[], ["build-trust"], ["lead-from-place", "build-trust"]])}
    ),
)
edits = st.lists(
    st.one_of(
        st.tuples(st.just("event"), event_changes),
        st.tuples(st.just("venue"), st.fixed_dictionaries({"address": words})),
        st.tuples(st.just("person"), st.fixed_dictionaries({"title": words})),
        st.tuples(st.just("programme"), st.fixed_dictionaries({"name": words})),
        st.tuples(st.just("publish"), st.just({})),
        st.tuples(st.just("cancel"), st.fixed_dictionaries({"reason": words})),
    ),
    min_size=1,
    max_size=8,
)


async def fresh_event(db: Database) -> uuid.UUID:
    programme = await programmes.create_programme(
        db,
        ProgrammeCreate(
            name=unique("P"), expectations=[{"name": "Lead from place"}, {"name": "Build trust"}]
        ),
    )
    venue = await venues.create_venue(db, VenueCreate(name=unique("V")))
    person = await people.create_person(db, PersonCreate(name=unique("N")))
    created = await events.create_event(
        db,
        EventCreate(
            title="Property",
            programme_id=programme.id,
            venue_id=venue.id,
            capacity=100,
            starts_at=START,
            ends_at=START + timedelta(days=2),
            people=[{"person_id": person.id, "role": "speaker"}],
        ),
    )
    return created.event.id


async def apply(db: Database, event_id: uuid.UUID, kind: str, change: dict[str, Any]) -> None:
    async with db.unit_of_work() as uow:
        event = await store.get(uow, event_id)
    actions = {
        "event": lambda: events.update_event(db, event_id, EventUpdate.model_validate(change)),
        "venue": lambda: venues.update_venue(
            db, event.venue_id, VenueUpdate.model_validate(change)
        ),
        "person": lambda: people.update_person(
            db, event.people[0].person_id, PersonUpdate.model_validate(change)
        ),
        "programme": lambda: programmes.update_programme(
            db, event.programme_id, ProgrammeUpdate.model_validate(change)
        ),
        "publish": lambda: events.publish_event(db, event_id),
        "cancel": lambda: events.cancel_event(db, event_id, reason=change.get("reason", "")),
    }
    # A refused edit (a rule, a state) must leave no message behind either.
    with contextlib.suppress(DomainError):
        await actions[kind]()


async def check(db: Database, engine: AsyncEngine, event_id: uuid.UUID) -> None:
    async with db.unit_of_work() as uow:
        event = await store.get(uow, event_id)
        held = await context(uow, event)
    messages = await emitted_for(engine, event_id)
    if event.status == "draft":
        assert messages == []
        return
    assert [m.payload["version"] for m in messages] == list(range(1, event.version + 1))
    assert messages[0].type == "catalogue.event.published"
    if event.status == "published":
        # A cancelled or completed event's last message stays its final word: a venue edit
        # afterwards is not news to anyone who booked.
        assert messages[-1].payload == to_state(event, held).model_dump(mode="json")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=edits)
@example(sequence=[("publish", {}), ("venue", {"address": "moved"})])
@example(sequence=[("publish", {}), ("person", {"title": "promoted"})])
@example(sequence=[("publish", {}), ("programme", {"name": "renamed"})])
@example(sequence=[("publish", {}), ("event", {"capacity": 5}), ("cancel", {"reason": "snow"})])
async def test_last_message_equals_the_stored_state(
    db: Database, engine: AsyncEngine, sequence: list[tuple[str, dict[str, Any]]]
) -> None:
    event_id = await fresh_event(db)
    for kind, change in sequence:
        await apply(db, event_id, kind, change)
        await check(db, engine, event_id)
