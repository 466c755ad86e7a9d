"""Event rules without I/O: what an event must satisfy, its lifecycle, versions and warnings."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.catalogue.domain import events as rules
from services.catalogue.domain.events import Appearance, Audience, Option, Resource, Session
from shared.errors import Conflict, Invalid

T0 = datetime(2030, 5, 11, 8, 0, tzinfo=UTC)
NOW = T0 - timedelta(days=30)


def make(**overrides: object) -> rules.Event:
    values: dict[str, object] = {
        "slug": "immersion",
        "title": "Immersion",
        "starts_at": T0,
        "ends_at": T0 + timedelta(hours=9),
        "capacity": 100,
    }
    values.update(overrides)
    return rules.new_event(**values)


def published(**overrides: object) -> rules.Event:
    return rules.publish(make(**overrides), now=NOW)


def field_of(excinfo: pytest.ExceptionInfo[Invalid]) -> str:
    return excinfo.value.field


def test_a_new_event_gets_one_session_spanning_it() -> None:
    event = make()
    assert [(s.starts_at, s.ends_at) for s in event.sessions] == [(T0, T0 + timedelta(hours=9))]
    assert event.sessions[0].id is not None
    assert (event.status, event.version) == ("draft", 0)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": T0}, "ends_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"sessions": (Session(None, T0 - timedelta(hours=1), T0),)}, "sessions.0"),
        (
            {"sessions": (Session(None, T0 + timedelta(hours=2), T0 + timedelta(hours=1)),)},
            "sessions.0.ends_at",
        ),
        (
            {
                "sessions": (
                    Session(None, T0, T0 + timedelta(hours=4)),
                    Session(None, T0 + timedelta(hours=3), T0 + timedelta(hours=5)),
                )
            },
            "sessions.1.starts_at",
        ),
        ({"options": (Option(None, "A", 60), Option(None, "B", 41))}, "options"),
        ({"options": (Option(None, "Dinner", 5), Option(None, "dinner", 5))}, "options.1.name"),
        ({"audience": Audience("cohorts")}, "audience.cohort_ids"),
        ({"audience": Audience("public", (uuid.uuid4(),))}, "audience.cohort_ids"),
        (
            {
                "booking_opens_at": T0 - timedelta(days=1),
                "booking_closes_at": T0 - timedelta(days=2),
            },
            "booking_closes_at",
        ),
        ({"booking_closes_at": T0 + timedelta(days=1)}, "booking_closes_at"),
        ({"booking_opens_at": T0 + timedelta(days=1)}, "booking_opens_at"),
        ({"people": (Appearance(uuid.uuid4(), "speaker", date(2030, 5, 12)),)}, "people.0.day"),
        ({"expectations": ("build-trust",)}, "expectations"),
    ],
)
def test_rules_name_the_field_at_fault(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as excinfo:
        make(**overrides)
    assert field_of(excinfo) == field


def test_options_may_exceed_the_total_when_each_is_counted_apart() -> None:
    event = make(
        options=(Option(None, "A", 80), Option(None, "B", 80)), options_within_capacity=False
    )
    assert sum(o.capacity for o in event.options) == 160


def test_two_sessions_on_different_days_and_people_on_one_of_them() -> None:
    day2 = T0 + timedelta(days=42)
    person = uuid.uuid4()
    event = make(
        ends_at=day2 + timedelta(hours=8),
        sessions=(
            Session(None, T0, T0 + timedelta(hours=8), "Day one"),
            Session(None, day2, day2 + timedelta(hours=8), "Day two"),
        ),
        people=(Appearance(person, "facilitator", day2.date()),),
    )
    assert [s.title for s in event.sessions] == ["Day one", "Day two"]


def test_publishing_makes_version_one_and_only_from_draft() -> None:
    event = published()
    assert (event.status, event.version) == ("published", 1)
    with pytest.raises(Conflict):
        rules.publish(event, now=NOW)


def test_an_event_that_has_ended_cannot_be_published() -> None:
    with pytest.raises(Conflict) as excinfo:
        rules.publish(make(), now=T0 + timedelta(days=1))
    assert excinfo.value.code == "event_over"


def test_draft_changes_are_unversioned_and_public_changes_take_the_next_version() -> None:
    draft, _ = rules.change(make(), {"title": "Renamed"})
    assert (draft.title, draft.version) == ("Renamed", 0)
    event, _ = rules.change(published(), {"title": "Renamed"})
    assert event.version == 2
    again, _ = rules.change(event, {"summary": "More"})
    assert again.version == 3


def test_changing_nothing_takes_no_version() -> None:
    event = published(options=(Option(None, "Street Wisdom", 30),))
    same, warnings = rules.change(
        event, {"title": event.title, "options": (Option(None, "Street Wisdom", 30),)}
    )
    assert same == event and warnings == []


def test_options_keep_their_ids_by_id_or_by_name() -> None:
    event = published(options=(Option(None, "Street Wisdom", 30), Option(None, "Barnabus", 30)))
    street, barnabus = event.options
    changed, _ = rules.change(
        event,
        {
            "options": (
                Option(street.id, "Street Wisdom walk", 30),  # renamed, kept by id
                Option(None, "barnabus", 30),  # matched by name, whatever its case
                Option(None, "The A Teams", 30),  # new
            )
        },
    )
    ids = [o.id for o in changed.options]
    assert ids[:2] == [street.id, barnabus.id]
    assert ids[2] not in (street.id, barnabus.id)


def test_an_unknown_part_id_is_refused() -> None:
    with pytest.raises(Invalid) as excinfo:
        rules.change(published(), {"options": (Option(uuid.uuid4(), "X", 1),)})
    assert excinfo.value.field == "options.0.option_id"


def test_moving_the_event_moves_its_single_default_session() -> None:
    event = published()
    later = T0 + timedelta(days=7)
    moved, _ = rules.change(event, {"starts_at": later, "ends_at": later + timedelta(hours=9)})
    assert [(s.starts_at, s.ends_at) for s in moved.sessions] == [
        (later, later + timedelta(hours=9))
    ]
    assert moved.sessions[0].id == event.sessions[0].id


def test_reducing_places_of_a_published_event_warns_what_bookings_will_do() -> None:
    event = published(options=(Option(None, "A", 50), Option(None, "B", 50)))
    a, _ = event.options
    changed, warnings = rules.change(event, {"capacity": 60, "options": (Option(a.id, "A", 30),)})
    codes = {(w.code, w.field) for w in warnings}
    assert codes == {
        ("capacity_reduced", "capacity"),
        ("option_capacity_reduced", "options.0.capacity"),
        ("option_removed", "options"),
    }
    reduced = next(w for w in warnings if w.code == "capacity_reduced")
    assert "waiting list" in reduced.message and "confirmed" in reduced.message
    assert changed.capacity == 60


def test_cutting_below_what_is_confirmed_says_so_with_the_numbers() -> None:
    event = published(options=(Option(None, "A", 50), Option(None, "B", 50)))
    a, b = event.options
    confirmed = rules.ConfirmedPlaces(total=70, by_option={a.id: 45, b.id: 24})
    _, warnings = rules.change(
        event,
        {"capacity": 65, "options": (Option(a.id, "A", 40), Option(b.id, "B", 25))},
        confirmed,
    )
    found = {w.code: w for w in warnings}
    assert set(found) == {
        "capacity_below_confirmed",
        "option_below_confirmed",
        "option_capacity_reduced",
    }
    assert "below the 70 already confirmed" in found["capacity_below_confirmed"].message
    assert found["option_below_confirmed"].field == "options.0.capacity"
    assert "below the 45 already confirmed" in found["option_below_confirmed"].message


def test_no_warning_for_a_draft_or_for_more_places() -> None:
    assert rules.change(make(), {"capacity": 1})[1] == []
    assert rules.change(published(), {"capacity": 200})[1] == []


def test_cancel_needs_a_published_event() -> None:
    with pytest.raises(Conflict):
        rules.cancel(make(), reason="x")
    cancelled = rules.cancel(published(), reason="Venue flooded")
    assert (cancelled.status, cancelled.version, cancelled.cancel_reason) == (
        "cancelled",
        2,
        "Venue flooded",
    )
    with pytest.raises(Conflict):
        rules.change(cancelled, {"title": "Back"})
    with pytest.raises(Conflict):
        rules.cancel(cancelled, reason="again")


def test_complete_once_started_and_then_only_the_write_up_changes() -> None:
    event = published()
    with pytest.raises(Conflict) as excinfo:
        rules.complete(event, now=T0 - timedelta(hours=1))
    assert excinfo.value.code == "not_started"
    done = rules.complete(event, now=T0 + timedelta(hours=1))
    assert (done.status, done.version) == ("completed", 2)
    slides = Resource(None, "Slides", "https://example.org/slides.pdf", "slides")
    with_slides, _ = rules.change(done, {"resources": (slides,)})
    assert with_slides.version == 3 and with_slides.resources[0].id is not None
    with pytest.raises(Conflict) as refused:
        rules.change(done, {"capacity": 5})
    assert refused.value.code == "event_completed"


def test_only_drafts_are_deleted() -> None:
    rules.check_deletable(make())
    with pytest.raises(Conflict):
        rules.check_deletable(published())


def test_bumped_leaves_drafts_alone() -> None:
    draft = make()
    assert rules.bumped(draft) is draft
    assert rules.bumped(published()).version == 2
    assert replace(published(), version=5).version == 5
