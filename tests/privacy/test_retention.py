"""Retention: `RETENTION_MONTHS` after an event ended, its bookings, idempotency answers and
deliveries are anonymised by a scheduled job that two replicas never run twice in a period.
The clock is injected: the job runs "25 months later" against the real databases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from services.bookings.privacy.retention import anonymise_due as bookings_due
from services.notifications.privacy.retention import anonymise_due as notifications_due
from services.notifications.settings import NotificationsSettings
from shared.db import Database, make_engine
from shared.privacy.retention import RETENTION_JOB, months_before
from shared.scheduled_jobs import run_if_due
from tests.bookings.conftest import bookings_app, event_state, person, put_event  # noqa: F401
from tests.conftest import settings_for
from tests.support.infra import Infra
from tests.support.personal_data import find_strings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.filterwarnings("ignore::pytest.PytestWarning")
def test_months_before_keeps_the_day_or_the_months_last() -> None:
    moment = datetime(2027, 3, 31, 9, 30, tzinfo=UTC)
    assert months_before(moment, 24) == datetime(2025, 3, 31, 9, 30, tzinfo=UTC)
    assert months_before(moment, 1) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)
    assert months_before(datetime(2028, 1, 15, tzinfo=UTC), 13) == datetime(
        2026, 12, 15, tzinfo=UTC
    )


async def test_two_replicas_run_the_job_once_per_period(infra: Infra) -> None:
    replicas = [
        Database(make_engine(infra.database_urls["bookings"], pool_size=2), producer="bookings")
        for _ in range(2)
    ]
    job = f"test.job.{uuid.uuid4().hex[:8]}"
    runs: list[datetime] = []
    start = datetime(2030, 1, 1, tzinfo=UTC)

    async def work(now: datetime) -> None:
        runs.append(now)
        await asyncio.sleep(0.2)  # both replicas are inside the period at once

    async def both(at: datetime) -> list[bool]:
        return list(
            await asyncio.gather(
                *(
                    run_if_due(db, job, work, every=timedelta(hours=1), clock=lambda: at)
                    for db in replicas
                )
            )
        )

    try:
        assert sorted(await both(start)) == [False, True]
        assert await both(start + timedelta(minutes=59)) == [False, False]
        assert sorted(await both(start + timedelta(minutes=61))) == [False, True]
        assert runs == [start, start + timedelta(minutes=61)]
    finally:
        for db in replicas:
            await db.dispose()


async def test_a_replica_that_died_mid_run_is_taken_over_when_its_lease_lapses(
    infra: Infra,
) -> None:
    db = Database(make_engine(infra.database_urls["bookings"], pool_size=2), producer="t")
    job = f"test.job.{uuid.uuid4().hex[:8]}"
    start = datetime(2030, 1, 1, tzinfo=UTC)

    async def dies(now: datetime) -> None:
        raise RuntimeError("killed mid-run")

    ran: list[datetime] = []

    async def works(now: datetime) -> None:
        ran.append(now)

    try:
        with pytest.raises(RuntimeError):
            await run_if_due(db, job, dies, every=timedelta(hours=1), clock=lambda: start)
        lease_held = start + timedelta(minutes=5)
        assert not await run_if_due(
            db, job, works, every=timedelta(hours=1), clock=lambda: lease_held
        )
        lapsed = start + timedelta(minutes=11)
        assert await run_if_due(db, job, works, every=timedelta(hours=1), clock=lambda: lapsed)
        assert ran == [lapsed]
    finally:
        await db.dispose()


async def test_bookings_are_anonymised_once_their_event_is_old_enough(
    bookings_app: tuple[FastAPI, httpx.AsyncClient],  # noqa: F811
) -> None:
    app, client = bookings_app
    db: Database = app.state.runtime.db
    settings = app.state.settings
    old, recent = event_state(), event_state()
    recent = recent.model_copy(
        update={
            "starts_at": old.starts_at + timedelta(days=90),
            "ends_at": old.ends_at + timedelta(days=90),
        }
    )
    for state in (old, recent):
        await put_event(db, settings, state)
    people = [person(1, dietary_needs="vegan"), person(2, access_needs="hearing loop")]
    for state, who in zip((old, recent), people, strict=True):
        answer = await client.post(
            f"/public/events/{state.event_id}/bookings",
            json=who,
            headers={"Idempotency-Key": f"retention-{uuid.uuid4()}"},
        )
        assert answer.status_code == 201, answer.text
    # 24 months and a day after the first event ended; the second ended 89 days later.
    later = months_before(old.ends_at, -24) + timedelta(days=1)
    counts = await bookings_due(db, settings, later)
    # Other tests of the session share this database: their events count too.
    assert counts["bookings"] >= 1 and counts["idempotency_answers"] >= 1
    async with db.unit_of_work() as uow:
        rows = (
            await uow.execute(
                sa.text(
                    "SELECT event_id, status, name, email, dietary_needs, anonymised_at "
                    "FROM bookings WHERE event_id IN (:a, :b)"
                ),
                {"a": old.event_id, "b": recent.event_id},
            )
        ).all()
        answers = dict(
            (
                await uow.execute(
                    sa.text(
                        "SELECT event_id, count(*) FROM idempotency_keys "
                        "WHERE event_id IN (:a, :b) GROUP BY event_id"
                    ),
                    {"a": old.event_id, "b": recent.event_id},
                )
            ).all()
        )
    assert answers == {recent.event_id: 1}
    by_event = {row.event_id: row for row in rows}
    gone, kept = by_event[old.event_id], by_event[recent.event_id]
    assert gone.status == "confirmed" and gone.name == "" and gone.dietary_needs == ""
    assert gone.email.endswith("@erased.invalid") and gone.anonymised_at == later
    assert kept.name == "Leader 2" and kept.anonymised_at is None
    url = settings.database_url
    assert not [hit for hit in await find_strings(url, [people[0]["email"]]) if hit[0] != "outbox"]
    # Run again: nothing more to do.
    assert (await bookings_due(db, settings, later))["bookings"] == 0


async def test_deliveries_are_anonymised_once_their_event_is_old_enough(infra: Infra) -> None:
    settings: NotificationsSettings = settings_for("notifications", infra)
    db = Database(make_engine(infra.database_urls["notifications"], pool_size=2), producer="t")
    ended = datetime(2027, 6, 1, 17, tzinfo=UTC)
    events = {uuid.uuid4(): ended, uuid.uuid4(): ended + timedelta(days=400)}
    address = f"retained-{uuid.uuid4().hex[:8]}@example.org"
    try:
        async with db.unit_of_work() as uow:
            for event_id, ends_at in events.items():
                await uow.execute(
                    sa.text(
                        "INSERT INTO events (event_id, version, state) VALUES "
                        "(:id, 1, jsonb_build_object('ends_at', CAST(:ends AS text)))"
                    ),
                    {"id": event_id, "ends": ends_at.isoformat()},
                )
                await uow.execute(
                    sa.text(
                        "INSERT INTO deliveries (id, dedupe_key, kind, event_id, recipient, "
                        "recipient_name, subject, state) VALUES (:id, :key, 'confirmation', "
                        ":event, :to, 'Retained Person', 'Your place', 'sent')"
                    ),
                    {
                        "id": uuid.uuid4(),
                        "key": f"k-{uuid.uuid4()}",
                        "event": event_id,
                        "to": address,
                    },
                )
            await uow.commit()
        due = months_before(ended, -settings.retention_months) + timedelta(hours=1)
        ran = await run_if_due(
            db,
            f"{RETENTION_JOB}.test-{uuid.uuid4().hex[:6]}",
            lambda now: notifications_due(db, settings, now),
            every=timedelta(hours=1),
            clock=lambda: due,
        )
        assert ran
        async with db.unit_of_work() as uow:
            rows = (
                await uow.execute(
                    sa.text(
                        "SELECT event_id, recipient, recipient_name, state FROM deliveries "
                        "WHERE event_id = ANY(:ids)"
                    ),
                    {"ids": list(events)},
                )
            ).all()
        by_event = {row.event_id: row for row in rows}
        old, recent = (by_event[e] for e in events)
        assert old.recipient.endswith("@erased.invalid") and old.recipient_name is None
        assert old.state == "sent"  # the count stays
        assert recent.recipient == address and recent.recipient_name == "Retained Person"
    finally:
        await db.dispose()
