"""Seeds the demo programme into the catalogue; running it again changes nothing.

    python -m devtools.seed

Writes through the catalogue's own use cases, so each published event and each roster entry
leaves its message in the catalogue's outbox, which the catalogue publishes when it runs.
Records are found again by their natural keys (programme slug, cohort number, venue and
person name, event slug), and the roster import is idempotent by design.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import UTC, date, datetime

import sqlalchemy as sa

from devtools import seed_data as demo
from services.catalogue.api.schemas.cohorts import CohortCreate
from services.catalogue.api.schemas.events import EventCreate, EventUpdate
from services.catalogue.api.schemas.people import PersonCreate
from services.catalogue.api.schemas.programmes import ExpectationIn, ProgrammeCreate
from services.catalogue.api.schemas.venues import VenueCreate
from services.catalogue.handlers import cohorts, events, people, programmes, roster, venues
from services.catalogue.persistence import cohorts as cohort_store
from services.catalogue.persistence import people as people_store
from services.catalogue.persistence import programmes as programme_store
from services.catalogue.persistence import venues as venue_store
from services.catalogue.persistence.tables import events as events_table
from services.catalogue.settings import CatalogueSettings
from shared.db import Database, make_engine

COHORTS = {1: 36, 2: 40}  # number -> delegates


async def _programme(db: Database, made: Counter[str]) -> demo.Refs:
    async with db.unit_of_work() as uow:
        found = await programme_store.find(uow, demo.PROGRAMME_SLUG)
    if found is None:
        made["programmes"] += 1
        found = await programmes.create_programme(
            db,
            ProgrammeCreate(
                name=demo.PROGRAMME_NAME,
                slug=demo.PROGRAMME_SLUG,
                description="Cohorts of about 100 leaders from across Greater Manchester.",
                expectations=[ExpectationIn(name=name) for name in demo.EXPECTATIONS],
            ),
        )
    return demo.Refs(found.id, {}, {}, {})


async def _cohorts(db: Database, refs: demo.Refs, today: date, made: Counter[str]) -> None:
    async with db.unit_of_work() as uow:
        have = {c.number: c.id for c in await cohort_store.list_cohorts(uow, refs.programme_id)}
    for number, size in COHORTS.items():
        if number not in have:
            made["cohorts"] += 1
            year = today.year - (2 - number)
            cohort = await cohorts.create_cohort(
                db,
                CohortCreate(
                    programme_id=refs.programme_id,
                    number=number,
                    starts_on=date(year, 1, 15),
                    ends_on=date(year + 1, 1, 31),
                ),
            )
            have[number] = cohort.id
        refs.cohorts[number] = have[number]
        report = await roster.import_roster(db, have[number], demo.delegates_csv(number, size))
        made["delegates"] += report.created + report.updated


async def _venues_and_people(db: Database, refs: demo.Refs, made: Counter[str]) -> None:
    async with db.unit_of_work() as uow:
        venue_ids = {v.name: v.id for v in await venue_store.all_venues(uow)}
        person_ids = {p.name: p.id for p in await people_store.all_people(uow)}
    for key, (name, address) in demo.VENUES.items():
        if name not in venue_ids:
            made["venues"] += 1
            venue = VenueCreate(
                name=name,
                address=address,
                accessibility=demo.ACCESS,
                map_url=f"https://www.openstreetmap.org/search?query={address.replace(' ', '%20')}",
            )
            venue_ids[name] = (await venues.create_venue(db, venue)).id
        refs.venues[key] = venue_ids[name]
    for key, (name, title, organisation) in demo.PEOPLE.items():
        if name not in person_ids:
            made["people"] += 1
            person = PersonCreate(name=name, title=title, organisation=organisation)
            person_ids[name] = (await people.create_person(db, person)).id
        refs.people[key] = person_ids[name]


async def _event(db: Database, spec: EventCreate, made: Counter[str]) -> None:
    async with db.unit_of_work() as uow:
        rows = (
            await uow.execute(
                sa.select(events_table.c.id, events_table.c.programme_id).where(
                    events_table.c.slug == spec.slug,
                    sa.or_(
                        events_table.c.programme_id == spec.programme_id,
                        events_table.c.programme_id.is_(None),
                    ),
                )
            )
        ).all()
    ours = [row.id for row in rows if row.programme_id == spec.programme_id]
    if ours:
        return
    if rows:
        # An older demo made this event without a programme: adopt it (keeping its dates)
        # rather than leave two events answering to one slug.
        fields = spec.model_dump(exclude_unset=True, exclude={"starts_at", "ends_at", "sessions"})
        await events.update_event(db, rows[0].id, EventUpdate.model_validate(fields))
        made["events adopted"] += 1
        return
    created = await events.create_event(db, spec)
    await events.publish_event(db, created.event.id)
    made["events"] += 1


async def seed(settings: CatalogueSettings, *, today: date | None = None) -> Counter[str]:
    """What it made, by kind (empty when everything was already there)."""
    today = today or datetime.now(UTC).date()
    db = Database(make_engine(settings.database_url, pool_size=2), producer=settings.service_name)
    made: Counter[str] = Counter()
    try:
        refs = await _programme(db, made)
        await _cohorts(db, refs, today, made)
        await _venues_and_people(db, refs, made)
        for spec in demo.demo_events(today, refs):
            await _event(db, spec, made)
    finally:
        await db.dispose()
    return +made  # drops the kinds counted zero times


def main() -> int:
    # `make run` names each service's database as <SERVICE>_DATABASE_URL, as migrations do.
    settings = CatalogueSettings(database_url=os.environ.get("CATALOGUE_DATABASE_URL", ""))
    made = asyncio.run(seed(settings))
    if made:
        print("demo programme: " + ", ".join(f"{n} {kind}" for kind, n in made.items()))
    else:
        print("demo programme already there")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
