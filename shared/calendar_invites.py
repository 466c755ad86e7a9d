"""Calendar invites (iCalendar, iTIP): one VEVENT per session, in the event's time zone.

Each VEVENT's UID is derived from the booking (and the session), so an update or a
cancellation replaces the entry the calendar already holds; SEQUENCE grows with every change.
Notifications attaches them to booking emails (REQUEST, CANCEL); bookings serves the same
entries as a download (PUBLISH) from the manage page, so importing it after the email
updates the entry instead of adding a second one.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Component,
    Event,
    Timezone,
    vCalAddress,
    vDDDTypes,
    vInt,
    vText,
    vUri,
)
from icalendar.parser import Contentline

from shared.contracts import EventState

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str
    manage_url: str


@dataclass(frozen=True)
class Organiser:
    name: str
    email: str


def calendar_sequence(booking_version: int, event_version: int) -> int:
    """The invite's SEQUENCE: both versions only grow, so their sum grows with every change of
    either, and a redelivered message computes the same number again."""
    return booking_version + event_version


def session_uid(booking_id: uuid.UUID, session_id: uuid.UUID | None, domain: str) -> str:
    if session_id is None:
        return f"booking-{booking_id}@{domain}"
    return f"booking-{booking_id}-{session_id}@{domain}"


def slots(event: EventState) -> list[tuple[uuid.UUID | None, str, datetime, datetime]]:
    """Each session (in time order), or the event itself when it has none."""
    if event.sessions:
        ordered = sorted(event.sessions, key=lambda s: s.starts_at)
        return [(s.session_id, s.title or event.title, s.starts_at, s.ends_at) for s in ordered]
    return [(None, event.title, event.starts_at, event.ends_at)]


def location(event: EventState) -> str:
    if event.venue is None:
        return ""
    return ", ".join(part for part in (event.venue.name, event.venue.address) if part)


def _description(event: EventState, invitee: Invitee) -> str:
    lines = [event.summary] if event.summary else []
    if event.venue and event.venue.accessibility:
        lines.append(f"Access: {event.venue.accessibility}")
    lines.append(f"See, change or cancel your booking: {invitee.manage_url}")
    return "\n\n".join(lines)


def _person(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(" ".join(name.split()))
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def calendar_invite(
    *,
    method: Method,
    booking_id: uuid.UUID,
    event: EventState,
    invitee: Invitee,
    organiser: Organiser,
    sequence: int,
    domain: str,
    stamp: datetime,
) -> str:
    """The `.ics` text for a booking: REQUEST to add or update, CANCEL to remove.

    Exactly `invite_calendar`'s calendar as icalendar writes it, with its VTIMEZONE last
    (tests/unit/test_calendar_invite_text.py), but written from parts: the calendar's head and
    each session's lines that are the same for every invite to the event are made once, and
    per booking icalendar makes only the lines that are the booker's own (uid, sequence,
    stamp, description, url, attendee), in the order its serialisation puts them."""
    tz = ZoneInfo(event.timezone)
    place = location(event)
    description = _description(event, invitee)
    attendee = _person(
        invitee.email, invitee.name, ROLE="REQ-PARTICIPANT", PARTSTAT="ACCEPTED", RSVP="FALSE"
    )
    parts = [_calendar_head(method)]
    entries = slots(event)
    # The booker's lines but the uid are the same in every session's entry: made once.
    booker = {
        "SEQUENCE": _property_line("SEQUENCE", vInt(sequence)),
        "DTSTAMP": _property_line("DTSTAMP", vDDDTypes(stamp.astimezone(UTC))),
        "DESCRIPTION": _property_line("DESCRIPTION", vText(description)),
        "URL": _property_line("URL", vUri(invitee.manage_url)),
        "ATTENDEE": _property_line("ATTENDEE", attendee),
    }
    for session_id, title, starts_at, ends_at in entries:
        lines = {
            **_shared_lines(method, title, starts_at, ends_at, event.timezone, place, organiser),
            **booker,
            "UID": _property_line("UID", vText(session_uid(booking_id, session_id, domain))),
        }
        parts.append(
            "BEGIN:VEVENT\r\n" + "".join(lines[n] for n in _event_order()) + "END:VEVENT\r\n"
        )
    first = min(s[2] for s in entries).astimezone(tz).date() - timedelta(days=1)
    last = max(s[3] for s in entries).astimezone(tz).date() + timedelta(days=1)
    parts.append(_timezone_text(event.timezone, first, last))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts)


def _line(line: Contentline) -> str:
    """One content line as icalendar writes it, folded only when it must be (see `serialised`)."""
    if line.isascii():
        return (line if len(line) < 75 else fold_ascii(line)) + "\r\n"
    return line.to_ical().decode() + "\r\n"


def fold_ascii(line: str) -> str:
    """An ASCII line folded exactly as icalendar's `_foldline` folds it, by slicing: 74
    characters a line, one fewer where that would end it on a backslash or a caret (an
    escape stays whole). icalendar's loop measures each character's UTF-8 length, which was
    most of an invite's cost: its description, link and attendee lines are all long.
    tests/unit/test_calendar_invite_text.py compares the two."""
    parts = []
    start = 0
    while len(line) - start > 74:
        end = start + 74
        if line[end - 1] in "\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def _property_line(name: str, value: Any) -> str:
    """One property's line as `Event.add` then `content_line` write it, from the value in the
    type `add` would have chosen (`add`'s type inference cost more than the line itself)."""
    return _line(Contentline.from_parts(name, value.params, value, sorted=True))


def _lines_of(component: Component) -> dict[str, str]:
    return {name: _line(component.content_line(name, component[name])) for name in component}


_SHARED = ("dtstart", "dtend", "summary", "location", "status", "organizer")
_OWN = ("uid", "sequence", "dtstamp", "description", "url", "attendee")


@functools.lru_cache(maxsize=1)
def _event_order() -> tuple[str, ...]:
    """The order icalendar writes an invite's VEVENT properties in (its canonical order,
    then the rest alphabetically)."""
    entry = Event()
    for name in (*_SHARED, *_OWN):
        entry[name] = vText("")
    return tuple(entry.sorted_keys())


@functools.lru_cache(maxsize=8)
def _calendar_head(method: Method) -> str:
    calendar = Calendar()
    calendar.add("prodid", "-//Leading GM Programme//Notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    text = serialised(calendar)
    end = "END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)]


@functools.lru_cache(maxsize=256)
def _shared_lines(
    method: Method,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    place: str,
    organiser: Organiser,
) -> dict[str, str]:
    """A session's lines that every invite to it shares (copied before use)."""
    tz = ZoneInfo(timezone)
    entry = Event()
    entry.add("dtstart", starts_at.astimezone(tz))
    entry.add("dtend", ends_at.astimezone(tz))
    entry.add("summary", title)
    entry.add("location", place)
    entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    entry.add("organizer", _person(organiser.email, organiser.name))
    return _lines_of(entry)


def invite_calendar(
    *,
    method: Method,
    booking_id: uuid.UUID,
    event: EventState,
    invitee: Invitee,
    organiser: Organiser,
    sequence: int,
    domain: str,
    stamp: datetime,
) -> tuple[Calendar, tuple[str, date, date]]:
    """The invite as icalendar's calendar, without its VTIMEZONE, and which VTIMEZONE it
    takes (`_timezone`'s arguments): what `calendar_invite` writes, property for property."""
    tz = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Leading GM Programme//Notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entries = slots(event)
    for session_id, title, starts_at, ends_at in entries:
        entry = Event()
        entry.add("uid", session_uid(booking_id, session_id, domain))
        entry.add("sequence", sequence)
        entry.add("dtstamp", stamp)
        entry.add("dtstart", starts_at.astimezone(tz))
        entry.add("dtend", ends_at.astimezone(tz))
        entry.add("summary", title)
        entry.add("location", location(event))
        entry.add("description", _description(event, invitee))
        entry.add("url", invitee.manage_url)
        entry.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        entry.add("organizer", _person(organiser.email, organiser.name))
        entry.add(
            "attendee",
            _person(
                invitee.email,
                invitee.name,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="ACCEPTED",
                RSVP="FALSE",
            ),
        )
        calendar.add_component(entry)
    first = min(s[2] for s in entries).astimezone(tz).date() - timedelta(days=1)
    last = max(s[3] for s in entries).astimezone(tz).date() + timedelta(days=1)
    return calendar, (event.timezone, first, last)


def serialised(component: Component) -> str:
    """`component.to_ical().decode()`, folding only the lines that need it: icalendar folds
    every line character by character (about 40 % of an invite's CPU), and a line of ASCII
    shorter than 75 octets, which most are, comes out of its folding unchanged."""
    return "".join(_line(line) for line in component.content_lines() if line)


@functools.lru_cache(maxsize=64)
def _timezone_text(name: str, first: date, last: date) -> str:
    """The VTIMEZONE's text: the same for every invite to the event, made once."""
    return serialised(_timezone(name, first, last))


@functools.lru_cache(maxsize=64)
def _timezone(name: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE for the event's dates: only the transitions around them, not fifty years
    of them; made once per event and shared by all its invites (it is only ever read)."""
    return Timezone.from_tzinfo(ZoneInfo(name), first_date=first, last_date=last)
