"""What changed in an event that its confirmed people must be told about."""

from __future__ import annotations

from shared.contracts import EventState


def _times(event: EventState) -> tuple[object, ...]:
    sessions = tuple((s.session_id, s.starts_at, s.ends_at) for s in event.sessions)
    return (event.starts_at, event.ends_at, event.timezone, sessions)


def _place(event: EventState) -> tuple[str, str] | None:
    return (event.venue.name, event.venue.address) if event.venue else None


def what_changed(before: EventState, after: EventState) -> list[str]:
    """`["the time", "the venue"]`, either, or nothing (a new summary needs no email)."""
    changes = []
    if _times(before) != _times(after):
        changes.append("the time")
    if _place(before) != _place(after):
        changes.append("the venue")
    return changes
