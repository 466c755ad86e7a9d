"""Attendance per session on the attendees page: who came, and the no-shows (a confirmed
place not checked in once the session is over, or marked no-show by staff)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class SessionAttendance:
    session_id: str
    title: str
    over: bool
    attended: int = 0
    no_shows: list[dict[str, Any]] = field(default_factory=list)


def by_session(
    sessions: list[dict[str, Any]], bookings: list[dict[str, Any]], now: datetime
) -> list[SessionAttendance]:
    found = []
    for s in sessions:
        sid = str(s["session_id"])
        over = datetime.fromisoformat(s["ends_at"]) <= now
        row = SessionAttendance(sid, s.get("title") or "Session", over)
        for b in bookings:
            if b["status"] != "confirmed":
                continue
            mark = b.get("attendance", {}).get(sid)
            if mark == "attended":
                row.attended += 1
            elif mark == "no_show" or over:
                row.no_shows.append(b)
        found.append(row)
    return found


def mark_of(booking: dict[str, Any], session: SessionAttendance) -> str:
    """What the row shows for one session: in, no-show, or nothing yet."""
    mark = booking.get("attendance", {}).get(session.session_id)
    if mark == "attended":
        return "in"
    if mark == "no_show" or (session.over and booking["status"] == "confirmed"):
        return "no-show"
    return ""
