"""Attendance per session on the console's attendees page: no-shows once a session is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.console.domain.attendance import by_session, mark_of

NOW = datetime(2031, 5, 6, 18, 0, tzinfo=UTC)


def _session(sid: str, ends: datetime) -> dict[str, str]:
    return {"session_id": sid, "title": sid, "ends_at": ends.isoformat()}


def test_no_shows_are_confirmed_places_not_in_once_the_session_is_over() -> None:
    sessions = [
        _session("day1", NOW - timedelta(hours=1)),
        _session("day2", NOW + timedelta(days=1)),
    ]
    bookings = [
        {"name": "In", "status": "confirmed", "attendance": {"day1": "attended"}},
        {"name": "Missed", "status": "confirmed", "attendance": {}},
        {"name": "Marked", "status": "confirmed", "attendance": {"day2": "no_show"}},
        {"name": "Waiting", "status": "waitlisted", "attendance": {}},
    ]
    day1, day2 = by_session(sessions, bookings, NOW)
    assert (day1.attended, [b["name"] for b in day1.no_shows]) == (1, ["Missed", "Marked"])
    assert (day2.attended, [b["name"] for b in day2.no_shows]) == (0, ["Marked"])
    assert [mark_of(b, day1) for b in bookings] == ["in", "no-show", "no-show", ""]
    assert [mark_of(b, day2) for b in bookings] == ["", "", "no-show", ""]
