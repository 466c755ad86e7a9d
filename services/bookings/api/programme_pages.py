"""A programme's public pages, served by bookings: the upcoming events as server-rendered,
indexable HTML with schema.org Event JSON-LD, each event on its own page with the booking
form, and the JSON the list widget draws from (`data-gm-programme`).

Bookings serves them (not the catalogue) because it already holds what they show: the
replica of every published event, the places left, and the public edge (widget, booking page,
rate limits, CORS); the pages keep working while the catalogue is down, and staff tools stay
off the public internet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel

from services.bookings.api import event_display, views
from services.bookings.api.schemas import EventAvailability
from services.bookings.api.structured_data import event_ld, script_json
from services.bookings.process import BookingsProcess
from services.bookings.usecases import programmes
from shared.contracts import EventState
from shared.event_times import format_when

router = APIRouter(tags=["programme pages"])
_TEMPLATES = SandboxedEnvironment(
    loader=FileSystemLoader(Path(__file__).resolve().parents[1] / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ProgrammeRef = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9-]{1,80}$")]
Slug = Annotated[str, PathParam(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
# Search engines and partners' pages may cache briefly; places left change, so not for long.
_CACHE = "public, max-age=60"
_PLACES = {
    "waitlist": "Fully booked: you can join the waiting list",
    "full": "Fully booked",
    "closed": "Booking has closed",
    "cancelled": "This event has been cancelled",
    "completed": "This event has finished",
}


class ListedEvent(BaseModel):
    event_id: str
    slug: str
    title: str
    summary: str
    starts_at: str
    ends_at: str
    timezone: str
    when: str
    sessions: list[str]
    venue: str
    places: str
    booking_state: str
    by_invitation: bool
    url: str


class ProgrammeListing(BaseModel):
    programme_id: str
    name: str
    url: str
    events: list[ListedEvent]


def _places(event: EventAvailability) -> str:
    if event.audience.kind == "invitation" and event.booking_state in ("open", "waitlist"):
        return "By invitation"
    if event.booking_state == "open":
        return "1 place left" if event.remaining == 1 else f"{event.remaining} places left"
    if event.booking_state == "not_open_yet" and event.window.opens_at:
        opens = format_when(event.window.opens_at, event.window.opens_at, event.timezone)
        return f"Booking opens {opens.split(',')[0]}"
    return _PLACES.get(event.booking_state, "Booking has closed")


def _listed(event: EventAvailability, url: str) -> ListedEvent:
    return ListedEvent(
        event_id=str(event.event_id),
        slug=event.slug,
        title=event.title,
        summary=event.summary,
        starts_at=event.starts_at.isoformat(),
        ends_at=event.ends_at.isoformat(),
        timezone=event.timezone,
        when=format_when(event.starts_at, event.ends_at, event.timezone),
        sessions=[
            f"{s.title or event.title}: {format_when(s.starts_at, s.ends_at, event.timezone)}"
            for s in event.sessions
        ]
        if len(event.sessions) > 1
        else [],
        venue=", ".join(p for p in (event.venue.name, event.venue.address) if p)
        if event.venue
        else "",
        places=_places(event),
        booking_state=event.booking_state,
        by_invitation=event.audience.kind == "invitation",
        url=url,
    )


async def _listing(request: Request, ref: str) -> tuple[ProgrammeListing, list[EventAvailability]]:
    process: BookingsProcess = request.app.state.bookings
    found = await programmes.upcoming(process.db, ref)
    programme = found.programme
    base = process.settings.public_base_url.rstrip("/")
    page = f"{base}/programmes/{programme.slug or programme.programme_id}"
    shown = [views.event_availability(state, places) for state, places in found.events]
    events = [
        _listed(e, f"{page}/events/{e.slug}" if e.slug else f"{base}/book/{e.event_id}")
        for e in shown
    ]
    listing = ProgrammeListing(
        programme_id=str(programme.programme_id), name=programme.name, url=page, events=events
    )
    return listing, shown


def _html(name: str, status: int = 200, **values: Any) -> Response:
    body = _TEMPLATES.get_template(name).render(**values)
    return Response(
        body,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": _CACHE},
    )


@router.get(
    "/programmes/{ref}",
    response_class=Response,
    responses={404: {"description": "unknown programme"}},
)
async def programme_page(ref: ProgrammeRef, request: Request) -> Response:
    """A programme's upcoming events: indexable HTML with schema.org Event JSON-LD."""
    listing, shown = await _listing(request, ref)
    items = [
        {
            "@type": "ListItem",
            "position": n + 1,
            "item": event_ld(event, url=listed.url, organiser=listing.name),
        }
        for n, (event, listed) in enumerate(zip(shown, listing.events, strict=True))
    ]
    ld = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": items}
    # Links between the pages are relative, so they work behind any host or path prefix; the
    # canonical address and the JSON-LD name the public one.
    ref_part = listing.url.rsplit("/", 1)[1]
    hrefs = [f"{ref_part}/events/{e.slug}" if e.slug else f"../book/{e.event_id}" for e in shown]
    return _html(
        "programme.html",
        listing=listing,
        entries=list(zip(listing.events, hrefs, strict=True)),
        root="..",
        ld=Markup(script_json(ld)),
    )


@router.get(
    "/programmes/{ref}/events/{slug}",
    response_class=Response,
    responses={404: {"description": "no such event in this programme"}},
)
async def event_page(ref: ProgrammeRef, slug: Slug, request: Request) -> Response:
    """One event of a programme: its details as HTML (with JSON-LD), and the booking form."""
    process: BookingsProcess = request.app.state.bookings
    programme, state, places = await programmes.one_event(process.db, ref, slug)
    event = views.event_availability(state, places)
    root = process.settings.public_base_url.rstrip("/")
    base = f"{root}/programmes/{programme.slug or programme.programme_id}"
    url = f"{base}/events/{event.slug}"
    full = EventState.model_validate(state)
    return _html(
        "programme_event.html",
        programme=programme,
        programme_url=base,
        programme_href="../../" + base.rsplit("/", 1)[1],
        event=event,
        listed=_listed(event, url),
        paragraphs=[p.strip() for p in full.description.split("\n\n") if p.strip()],
        people=event_display.people(full),
        root="../../..",
        ld=Markup(script_json(event_ld(event, url=url, organiser=programme.name))),
    )


@router.get(
    "/public/programmes/{ref}/events",
    response_model=ProgrammeListing,
    tags=["public"],
    responses={
        404: {"description": "unknown programme"},
        422: {"description": "not a programme reference"},
    },
)
async def programme_events(ref: ProgrammeRef, request: Request) -> ProgrammeListing:
    """A programme's upcoming events, for the list widget (`data-gm-programme`)."""
    return (await _listing(request, ref))[0]
