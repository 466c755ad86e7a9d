"""The console's plain rules: the event form both ways, formula-safe CSV cells, where a
sign-in may send the browser next, and the audit sentence."""

from __future__ import annotations

import pytest

from services.console.auth.web import safe_next
from services.console.domain import event_form
from services.console.domain.csv_cells import safe_cell


def test_blank_rows_are_dropped_and_times_carry_the_event_zone() -> None:
    form = {
        "title": "Launch",
        "capacity": "100",
        "timezone": "Europe/London",
        "sessions.0.title": "",
        "sessions.0.starts_at": "",
        "sessions.0.ends_at": "",
        "sessions.1.title": "Day one",
        "sessions.1.starts_at": "2031-07-01T09:30",
        "sessions.1.ends_at": "2031-07-01T17:00",
        "options.0.name": "Canal walk",
        "options.0.capacity": "12",
        "options.0.description": "",
        "options.1.name": "",
        "options.1.capacity": "",
        "options.1.description": "",
    }
    parsed = event_form.parse(form, [], creating=True)
    assert not parsed.errors
    [session] = parsed.body["sessions"]
    assert session["starts_at"] == "2031-07-01T09:30:00+01:00"  # British Summer Time
    assert parsed.body["options"] == [{"name": "Canal walk", "capacity": 12, "description": ""}]
    packed = event_form.packed(form)
    assert packed["sessions.0.title"] == "Day one" and "sessions.1.title" not in packed


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity", "lots"), ("sessions.0.starts_at", "tomorrow"), ("timezone", "Mars/Olympus")],
)
def test_what_the_console_cannot_read_is_named_by_field(field: str, value: str) -> None:
    form = {
        "title": "T",
        "capacity": "10",
        "timezone": "Europe/London",
        "sessions.0.title": "x",
        "sessions.0.starts_at": "2031-07-01T09:30",
        "sessions.0.ends_at": "2031-07-01T10:30",
        field: value,
    }
    assert field in event_form.parse(form, [], creating=True).errors


def test_an_event_round_trips_through_the_form() -> None:
    event = {
        "title": "Immersion",
        "kind": "immersion",
        "slug": "immersion",
        "summary": "",
        "description": "",
        "capacity": 40,
        "timezone": "Europe/London",
        "programme": None,
        "venue": None,
        "booking_opens_at": None,
        "booking_closes_at": None,
        "waitlist_enabled": True,
        "audience": {"kind": "public", "cohort_ids": []},
        "sessions": [
            {
                "session_id": "s1",
                "title": "Day",
                "starts_at": "2031-01-10T09:00:00+00:00",
                "ends_at": "2031-01-10T16:00:00+00:00",
            }
        ],
        "options": [],
        "people": [],
    }
    values = event_form.values_of(event)
    assert values["sessions.0.starts_at"] == "2031-01-10T09:00"
    parsed = event_form.parse(values, [], creating=False)
    assert parsed.body["sessions"][0] == {
        "title": "Day",
        "starts_at": "2031-01-10T09:00:00+00:00",
        "ends_at": "2031-01-10T16:00:00+00:00",
        "session_id": "s1",
    }
    assert parsed.body["venue_id"] is None  # cleared on edit, left out on create


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+44 161 000", "'+44 161 000"),
        ("@cmd", "'@cmd"),
        ("two\nlines", "two lines"),
        ("Ada", "Ada"),
    ],
)
def test_csv_cells_cannot_run_as_formulas(cell: str, safe: str) -> None:
    assert safe_cell(cell) == safe


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/events?x=1", "/events?x=1"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_sign_in_only_sends_the_browser_within_the_console(given: str | None, kept: str) -> None:
    assert safe_next(given) == kept
