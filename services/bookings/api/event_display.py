"""What the widget and the pages show of an event beyond its places: the venue (with a map
link only when it is a web address), the people leading it, and "add to calendar" links."""

from __future__ import annotations

from urllib.parse import urlsplit

from services.bookings.api.schemas import (
    CalendarLinks,
    CalendarSession,
    Person,
    Session,
    Venue,
)
from shared.calendar_links import session_links
from shared.contracts import EventState


def web_address(url: str | None) -> str | None:
    """`url` if it is an http(s) address: a catalogue field could hold `javascript:` text,
    which must never become a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def venue(event: EventState) -> Venue | None:
    if event.venue is None:
        return None
    v = event.venue
    return Venue(
        name=v.name,
        address=v.address,
        accessibility=v.accessibility,
        map_url=web_address(v.map_url),
    )


def sessions(event: EventState) -> list[Session]:
    return [
        Session(
            session_id=s.session_id,
            title=s.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        for s in sorted(event.sessions, key=lambda s: s.starts_at)
    ]


def people(event: EventState) -> list[Person]:
    return [
        Person(name=p.name, title=p.title, organisation=p.organisation, role=p.role)
        for p in event.people
    ]


def calendar_links(event: EventState, ics_url: str) -> CalendarLinks:
    return CalendarLinks(
        ics_url=ics_url,
        sessions=[
            CalendarSession(
                title=s.title,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                google_url=s.google,
                outlook_url=s.outlook,
            )
            for s in session_links(event)
        ],
    )
