"""The invite's text is icalendar's own serialisation of the same calendar, byte for byte:
the folding of short lines skipped, and the parts made once per event (the head, each
session's shared lines, the VTIMEZONE) change nothing, whatever the names, places and
lengths (long lines, non-ASCII, escapes at a fold)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.calendar_invites import (
    Invitee,
    Organiser,
    _timezone,
    calendar_invite,
    invite_calendar,
)
from shared.contracts import EventState

START = datetime(2031, 3, 28, 9, 0, tzinfo=UTC)  # the weekend the clocks change in London


def event(**overrides: object) -> EventState:
    values: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "version": 3,
        "title": "Reunion and Reflection",
        "summary": "Cohorts come back together.",
        "timezone": "Europe/London",
        "starts_at": START,
        "ends_at": START + timedelta(hours=7),
        "capacity": 10,
        "venue": {"name": "Salford Innovation Forum", "address": "51 Frederick Road"},
    }
    values.update(overrides)
    return EventState.model_validate(values)


TWO_DAYS = {
    "sessions": [
        {
            "session_id": str(uuid.uuid4()),
            "title": f"Day {n}",
            "starts_at": (START + timedelta(days=n)).isoformat(),
            "ends_at": (START + timedelta(days=n, hours=8)).isoformat(),
        }
        for n in (1, 2)
    ]
}
LONG = "Dinner with a Difference; cookery, walks, a canal boat, and more, " * 3
CASES = [
    ({}, "Sam Leader", "REQUEST"),
    (TWO_DAYS, "Zoë O'Brien, Café Owner", "REQUEST"),
    ({"title": LONG, "summary": LONG + "\\\\ back\\slash; semi, comma"}, "A" * 90, "CANCEL"),
    ({"timezone": "America/New_York", "venue": None}, "Ünïcödé " * 12, "PUBLISH"),
    ({"title": "x" * 73 + "é" + "\\\\" * 5, "summary": "^" * 200}, "N\\a;m,e", "REQUEST"),
]


@pytest.mark.parametrize(("fields", "name", "method"), CASES)
def test_the_invite_is_icalendars_own_text(
    fields: dict[str, object], name: str, method: str
) -> None:
    the_event = event(**fields)
    # Two bookers of the same event: the second invite reuses the parts made for the first.
    for person, sequence in ((name, 4), ("Another Booker", 5)):
        arguments = {
            "method": method,
            "booking_id": uuid.uuid4(),
            "event": the_event,
            "invitee": Invitee(
                person, "sam.leader@example.org", "https://b.example.org/m/" + "t" * 80
            ),
            "organiser": Organiser("Leading GM", "programme@leadinggm.example.org"),
            "sequence": sequence,
            "domain": "leadinggm.example.org",
            "stamp": datetime(2031, 1, 2, 3, 4, sequence, tzinfo=UTC),
        }
        calendar, zone = invite_calendar(**arguments)  # type: ignore[arg-type]
        calendar.add_component(_timezone(*zone))
        assert calendar_invite(**arguments) == calendar.to_ical().decode()  # type: ignore[arg-type]


def test_ascii_lines_fold_as_icalendar_folds_them() -> None:
    from icalendar.parser.string import _foldline

    from shared.calendar_invites import fold_ascii

    chance = random.Random(19)
    # Escapes (backslash, caret) land on every fold boundary among these lengths.
    alphabet = "ab\\^;, :"
    for length in [*range(60, 240), 600]:
        for _ in range(4):
            line = "".join(chance.choice(alphabet) for _ in range(length))
            assert fold_ascii(line) == _foldline(line), line
