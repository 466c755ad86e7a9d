"""Consent and notice: a programme's privacy notice (address and version) is a catalogue field,
shown by the widget's answer beside the optional fields; each booking records the consent to
future contact with its time and the notice version; a campaign reaches only people with a
reason to be contacted (a roster, or consent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import FastAPI

from services.catalogue.app import create_app as catalogue_app
from services.notifications.privacy.reasons import without_reason
from shared.db import Database, make_engine
from tests.bookings.conftest import bookings_app, event_state, person, put_event  # noqa: F401
from tests.conftest import running, settings_for, token
from tests.support.infra import Infra

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = {"Authorization": f"Bearer {token('staff')}"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def catalogue(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    async with running(catalogue_app(settings_for("catalogue", infra))) as client:
        yield client


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("privacy_notice_url", "javascript:alert(1)"),
        ("privacy_notice_url", "not a url"),
        ("privacy_notice_url", "https://" + "a" * 2100 + ".org"),
        ("privacy_notice_version", "v1 <b>"),
        ("privacy_notice_version", "x" * 51),
    ],
)
async def test_a_bad_notice_is_a_422_naming_the_field(
    catalogue: httpx.AsyncClient, field: str, value: str
) -> None:
    answer = await catalogue.post(
        "/staff/programmes", json={"name": f"P {uuid.uuid4().hex[:6]}", field: value}, headers=STAFF
    )
    assert answer.status_code == 422, answer.text
    assert field in answer.text


async def test_the_notice_is_a_programme_field(catalogue: httpx.AsyncClient) -> None:
    made = await catalogue.post(
        "/staff/programmes",
        json={
            "name": f"P {uuid.uuid4().hex[:6]}",
            "privacy_notice_url": "https://leadinggm.example.org/privacy",
            "privacy_notice_version": "2026-09",
        },
        headers=STAFF,
    )
    assert made.status_code == 201, made.text
    programme = made.json()
    assert programme["privacy_notice_url"] == "https://leadinggm.example.org/privacy"
    changed = await catalogue.patch(
        f"/staff/programmes/{programme['id']}",
        json={"privacy_notice_version": "2027-01"},
        headers=STAFF,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["privacy_notice_version"] == "2027-01"
    assert changed.json()["privacy_notice_url"] == programme["privacy_notice_url"]


async def test_each_booking_records_consent_with_its_time_and_the_notice_version(
    bookings_app: tuple[FastAPI, httpx.AsyncClient],  # noqa: F811
) -> None:
    app, client = bookings_app
    db: Database = app.state.runtime.db
    state = event_state(
        privacy_notice_url="https://leadinggm.example.org/privacy", privacy_notice_version="2026-09"
    )
    await put_event(db, app.state.settings, state)
    shown = (await client.get(f"/public/events/{state.event_id}")).json()
    assert shown["privacy_notice_url"] == "https://leadinggm.example.org/privacy"
    ids = []
    for consent in (True, False):
        answer = await client.post(
            f"/public/events/{state.event_id}/bookings",
            json=person(1, consent_to_contact=consent),
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["booking_id"])
    async with db.unit_of_work() as uow:
        rows = {
            str(row.id): row
            for row in await uow.execute(
                sa.text(
                    "SELECT id, consent_to_contact, consent_recorded_at, created_at, "
                    "privacy_notice_version FROM bookings WHERE event_id = :e"
                ),
                {"e": state.event_id},
            )
        }
    yes, no = rows[ids[0]], rows[ids[1]]
    assert yes.consent_to_contact and yes.consent_recorded_at == yes.created_at
    assert not no.consent_to_contact and no.consent_recorded_at is None
    assert yes.privacy_notice_version == no.privacy_notice_version == "2026-09"


async def test_a_campaign_address_needs_a_roster_or_consent(infra: Infra) -> None:
    db = Database(make_engine(infra.database_urls["notifications"], pool_size=1), producer="t")
    tag = uuid.uuid4().hex[:8]
    member, consented, declined, stranger, removed = (
        f"{who}-{tag}@example.org" for who in ("member", "yes", "no", "stranger", "gone")
    )
    try:
        async with db.unit_of_work() as uow:
            for email, is_removed in ((member, False), (removed, True)):
                await uow.execute(
                    sa.text(
                        "INSERT INTO cohort_members (cohort_id, member_id, email, name, version,"
                        " removed) VALUES (:c, :m, :e, 'N', 1, :r)"
                    ),
                    {"c": uuid.uuid4(), "m": uuid.uuid4(), "e": email, "r": is_removed},
                )
            for email, consent in ((consented, True), (declined, False)):
                await uow.execute(
                    sa.text(
                        "INSERT INTO bookings (booking_id, event_id, version, status, state) "
                        "VALUES (:b, :ev, 1, 'confirmed', jsonb_build_object('attendee', "
                        "jsonb_build_object('email', CAST(:e AS text), 'consent_to_contact', "
                        "CAST(:c AS boolean))))"
                    ),
                    {"b": uuid.uuid4(), "ev": uuid.uuid4(), "e": email, "c": consent},
                )
            await uow.commit()
        async with db.unit_of_work() as uow:
            left_out = await without_reason(
                uow, [member.upper(), consented, declined, stranger, removed]
            )
        assert left_out == {declined, stranger, removed}
    finally:
        await db.dispose()
