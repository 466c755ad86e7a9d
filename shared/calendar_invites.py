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
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component, Event, Timezone, vCalAddress, vText

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
    """The `.ics` text for a booking: REQUEST to add or update, CANCEL to remove."""
    calendar, (name, first, last) = invite_calendar(
        method=method,
        booking_id=booking_id,
        event=event,
        invitee=invitee,
        organiser=organiser,
        sequence=sequence,
        domain=domain,
        stamp=stamp,
    )
    # The VTIMEZONE closes the calendar, after the events, as `add_component` would put it.
    body = serialised(calendar)
    end = "END:VCALENDAR\r\n"
    assert body.endswith(end)
    return body[: -len(end)] + _timezone_text(name, first, last) + end


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
    """The invite without its VTIMEZONE, and which VTIMEZONE it takes (`_timezone`'s
    arguments): the zone's text is the same for every invite to the event, made once."""
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
    return "".join(
        (line if len(line) < 75 and line.isascii() else line.to_ical().decode()) + "\r\n"
        for line in component.content_lines()
        if line
    )


@functools.lru_cache(maxsize=64)
def _timezone_text(name: str, first: date, last: date) -> str:
    return serialised(_timezone(name, first, last))


@functools.lru_cache(maxsize=64)
def _timezone(name: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE for the event's dates: only the transitions around them, not fifty years
    of them; made once per event and shared by all its invites (it is only ever read)."""
    return Timezone.from_tzinfo(ZoneInfo(name), first_date=first, last_date=last)
