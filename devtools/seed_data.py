"""The demo programme: the Leading GM Leadership Programme of DESIGN.md, its cohorts and its
events, dated from `today` so they can be booked. Delegates, facilitators and speakers are
invented (generated names, addresses on example.org); venue details are demo data.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.catalogue.api.schemas.events import (
    AppearanceIn,
    AudienceIn,
    EventCreate,
    OptionIn,
    SessionIn,
)

LONDON = ZoneInfo("Europe/London")


def _words(text: str) -> list[str]:
    return text.split()


PROGRAMME_SLUG = "leading-gm"
PROGRAMME_NAME = "Leading GM Leadership Programme"
EXPECTATIONS = [
    "Deliver the ambition",
    "Lead from place",
    "Asset-based approach",
    "Understand impact",
    "Democratically astute",
    "Act collaboratively",
    "Build trust",
    "Connect with people",
    "Focus on better outcomes",
]
VENUES = {
    "launch": ("The Lowry", "Pier 8, Salford Quays, Salford M50 3AZ"),
    "immersion": ("Salford Innovation Forum", "51 Frederick Road, Salford M6 6FP"),
    "reunion": ("The Life Centre", "235 Washway Road, Sale M33 4BP"),
    "masterclass": ("Tootal Buildings", "56 Oxford Street, Manchester M1 6EU"),
}
ACCESS = "Step-free entrance and lift to every floor; accessible toilets; hearing loop."
PEOPLE = {
    "director": ("Amara Okafor", "Programme Director", "Leading GM"),
    "associate": ("Tom Brennan", "Programme Associate", "Leading GM"),
    "speaker": ("Helen Marsh", "Visiting Professor of Leadership", "Northern Leadership Institute"),
}
FIRST = _words(
    """
    Aisha Ben Chloe Daniel Eleanor Farhan Grace Harvey Imran Jess Kwame Laura Mohammed Niamh
    Oliver Priya Rhys Sophie Tariq Uma Victoria Wes Yasmin Zoe
    """
)
LAST = _words(
    """
    Ahmed Brown Clarke Davies Evans Fletcher Green Hughes Iqbal Jones Khan Lewis Mensah Nowak
    O'Brien Patel Quinn Roberts Shah Taylor Walsh Wright Young
    """
)
ORGANISATIONS = [
    "Bolton Council",
    "Manchester City Council",
    "Oldham Council",
    "Salford City Council",
    "Stockport Council",
    "Trafford Council",
    "Wigan Council",
    "Greater Manchester Combined Authority",
    "Northern Care Alliance NHS Foundation Trust",
    "Manchester University NHS Foundation Trust",
    "Greater Manchester Fire and Rescue Service",
    "Onward Homes",
    "Great Places Housing Group",
]
ROLES = [
    "Head of Place",
    "Service Director",
    "Neighbourhood Manager",
    "Assistant Director of Public Health",
    "Head of Community Safety",
    "Strategic Lead, Housing",
    "Locality Lead",
    "Head of Integrated Care",
]


@dataclass(frozen=True)
class Refs:
    """Ids the events refer to, once the records exist."""

    programme_id: uuid.UUID
    cohorts: dict[int, uuid.UUID]
    venues: dict[str, uuid.UUID]
    people: dict[str, uuid.UUID]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def delegates_csv(cohort: int, count: int) -> bytes:
    """A roster as staff would export it from a spreadsheet: the same file every time."""
    rng = random.Random(f"leading-gm-cohort-{cohort}")
    lines = ["name,email,organisation,role"]
    seen: set[str] = set()
    while len(seen) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{_ascii(first)}.{_ascii(last)}.c{cohort}@example.org"
        if email in seen:
            continue
        seen.add(email)
        organisation = rng.choice(ORGANISATIONS)
        lines.append(f'"{first} {last}",{email},"{organisation}","{rng.choice(ROLES)}"')
    # Excel's "CSV UTF-8" starts with a byte-order mark; the import takes it as it comes.
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def _launch(today: date, refs: Refs) -> EventCreate:
    day1, day2 = today + timedelta(days=21), today + timedelta(days=22)
    return EventCreate(
        slug="driving-place-leadership",
        kind="launch",
        title="Driving Place Leadership",
        summary="The two-day launch of cohort 2, with an evening Dinner with a Difference.",
        description="Two days on what leading a place means across Greater Manchester. On the "
        "first evening each delegate joins one Dinner with a Difference: choose one when you "
        "book.",
        programme_id=refs.programme_id,
        venue_id=refs.venues["launch"],
        capacity=100,
        sessions=[
            SessionIn(
                title="Day one and dinner",
                starts_at=local(day1, 9, 30),
                ends_at=local(day1, 21, 30),
            ),
            SessionIn(title="Day two", starts_at=local(day2, 9), ends_at=local(day2, 16, 30)),
        ],
        options=[
            OptionIn(
                name="Street Wisdom",
                description="A walking workshop in the streets around the venue.",
                capacity=34,
            ),
            OptionIn(name="The A Teams", description="Dinner with The A Teams.", capacity=33),
            OptionIn(name="Barnabus", description="Dinner with Barnabus, Manchester.", capacity=33),
        ],
        audience=AudienceIn(kind="cohorts", cohort_ids=[refs.cohorts[2]]),
        booking_opens_at=local(today - timedelta(days=1), 9),
        booking_closes_at=local(day1 - timedelta(days=2), 17),
        people=[
            AppearanceIn(person_id=refs.people["director"], role="facilitator"),
            AppearanceIn(person_id=refs.people["associate"], role="facilitator", day=day2),
        ],
        expectations=[
            "deliver-the-ambition",
            "lead-from-place",
            "connect-with-people",
            "build-trust",
        ],
    )


def _immersion(today: date, refs: Refs) -> EventCreate:
    # Two days six weeks apart, as "11 May and 22 June".
    day1, day2 = today + timedelta(days=45), today + timedelta(days=87)
    return EventCreate(
        slug="immersion-days",
        kind="immersion",
        title="Immersion days",
        summary="Two days at the Salford Innovation Forum, six weeks apart.",
        description="Time in a place with the people who make it work, and what it asks of "
        "leaders. Book once for both days.",
        programme_id=refs.programme_id,
        venue_id=refs.venues["immersion"],
        capacity=100,
        sessions=[
            SessionIn(title="Day one", starts_at=local(day1, 9), ends_at=local(day1, 16, 30)),
            SessionIn(title="Day two", starts_at=local(day2, 9), ends_at=local(day2, 16, 30)),
        ],
        audience=AudienceIn(kind="cohorts", cohort_ids=[refs.cohorts[2]]),
        people=[AppearanceIn(person_id=refs.people["associate"], role="facilitator")],
        expectations=["asset-based-approach", "understand-impact", "act-collaboratively"],
    )


def _reunion(today: date, refs: Refs) -> EventCreate:
    day = today + timedelta(days=120)
    # Cohort 2's event; cohort 1 are guests, invited by a campaign whose signed links
    # bookings honours, so the audience names only the cohort whose event it is.
    return EventCreate(
        slug="reunion-and-reflection",
        kind="reunion",
        title="Reunion and Reflection",
        summary="Cohort 2 looks back, with cohort 1 invited to join them.",
        description="An afternoon to reflect on what changed, and to meet the cohort before.",
        programme_id=refs.programme_id,
        venue_id=refs.venues["reunion"],
        capacity=150,
        starts_at=local(day, 13),
        ends_at=local(day, 17, 30),
        audience=AudienceIn(kind="cohorts", cohort_ids=[refs.cohorts[2]]),
        people=[AppearanceIn(person_id=refs.people["director"], role="host")],
        expectations=["focus-on-better-outcomes", "democratically-astute"],
    )


def _masterclass(today: date, refs: Refs) -> EventCreate:
    day = today + timedelta(days=30)
    return EventCreate(
        slug="adaptive-leadership-masterclass",
        kind="masterclass",
        title="Adaptive Leadership masterclass",
        summary="A free masterclass open to any leader in Greater Manchester, from the public, "
        "private, voluntary and community sectors.",
        description="Leading when there is no ready answer: a morning on adaptive leadership.",
        programme_id=refs.programme_id,
        venue_id=refs.venues["masterclass"],
        capacity=60,
        starts_at=local(day, 9, 30),
        ends_at=local(day, 12, 30),
        audience=AudienceIn(kind="public"),
        people=[AppearanceIn(person_id=refs.people["speaker"], role="speaker")],
        expectations=["understand-impact", "act-collaboratively"],
    )


def demo_events(today: date, refs: Refs) -> list[EventCreate]:
    return [f(today, refs) for f in (_launch, _immersion, _reunion, _masterclass)]
