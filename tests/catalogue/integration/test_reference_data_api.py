"""Programmes, venues and people over HTTP; a change to one of them that a published event
shows goes out as that event's next version, in the same transaction."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.catalogue.support import (
    emitted_for,
    error_fields,
    make_event,
    make_person,
    make_programme,
    make_venue,
    outbox_mark,
    unique,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]


async def test_programme_with_expectations(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    assert [e["code"] for e in programme["expectations"]] == [
        "lead-from-place",
        "build-trust",
        "act-collaboratively",
    ]
    got = await client.get(f"/staff/programmes/{programme['id']}", headers=staff_headers)
    assert got.json() == programme
    listed = await client.get("/staff/programmes", headers=staff_headers)
    assert programme["id"] in {p["id"] for p in listed.json()}
    taken = await client.post(
        "/staff/programmes", json={"name": "x", "slug": programme["slug"]}, headers=staff_headers
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "slug_taken")
    twice = await client.post(
        "/staff/programmes",
        json={
            "name": unique("P"),
            "expectations": [{"name": "Build trust"}, {"name": "Build Trust"}],
        },
        headers=staff_headers,
    )
    assert error_fields(twice) == ["expectations.1.code"]


async def test_a_rename_reaches_published_events_and_a_tag_in_use_stays(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    programme = await make_programme(client, staff_headers)
    url = f"/staff/programmes/{programme['id']}"
    live = await make_event(
        client,
        staff_headers,
        publish=True,
        programme_id=programme["id"],
        expectations=["build-trust"],
    )
    draft = await make_event(client, staff_headers, programme_id=programme["id"])
    mark = await outbox_mark(engine)
    renamed_tags = [
        {"code": "lead-from-place", "name": "Lead from place"},
        {"code": "build-trust", "name": "Build trust together"},
    ]
    response = await client.patch(
        url, json={"name": "Renamed", "expectations": renamed_tags}, headers=staff_headers
    )
    assert response.status_code == 200
    [message] = await emitted_for(engine, live["id"], after=mark)
    assert (message.payload["version"], message.payload["programme_name"]) == (2, "Renamed")
    assert message.payload["expectations"] == ["Build trust together"]
    assert await emitted_for(engine, draft["id"], after=mark) == []

    dropped = await client.patch(
        url, json={"expectations": [{"name": "Lead from place"}]}, headers=staff_headers
    )
    assert (dropped.status_code, dropped.json()["code"]) == (409, "expectation_in_use")
    busy = await client.delete(url, headers=staff_headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "programme_in_use")
    empty = await make_programme(client, staff_headers)
    assert (
        await client.delete(f"/staff/programmes/{empty['id']}", headers=staff_headers)
    ).status_code == 204


async def test_venue_changes_reach_its_published_events(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    venue = await make_venue(client, staff_headers)
    url = f"/staff/venues/{venue['id']}"
    live = await make_event(client, staff_headers, publish=True, venue_id=venue["id"])
    mark = await outbox_mark(engine)
    moved = await client.patch(
        url, json={"address": "51 Frederick Road, Salford"}, headers=staff_headers
    )
    assert moved.json()["address"] == "51 Frederick Road, Salford"
    [message] = await emitted_for(engine, live["id"], after=mark)
    assert message.type == "catalogue.event.updated"
    assert (message.payload["version"], message.payload["venue"]["address"]) == (
        2,
        "51 Frederick Road, Salford",
    )
    public = (await client.get(f"/events/{live['id']}")).json()
    assert (public["version"], public["venue"]["address"]) == (2, "51 Frederick Road, Salford")
    # Unchanged details send nothing.
    mark = await outbox_mark(engine)
    await client.patch(url, json={"address": "51 Frederick Road, Salford"}, headers=staff_headers)
    assert await emitted_for(engine, live["id"], after=mark) == []

    bad = await client.patch(
        url, json={"map_url": "javascript:alert(1)", "name": None}, headers=staff_headers
    )
    assert set(error_fields(bad)) == {"map_url", "name"}
    busy = await client.delete(url, headers=staff_headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "venue_in_use")
    spare = await make_venue(client, staff_headers)
    assert (
        await client.delete(f"/staff/venues/{spare['id']}", headers=staff_headers)
    ).status_code == 204
    assert (
        await client.get(f"/staff/venues/{spare['id']}", headers=staff_headers)
    ).status_code == 404


async def test_people_changes_reach_the_events_they_are_on(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    person = await make_person(client, staff_headers)
    url = f"/staff/people/{person['id']}"
    live = await make_event(
        client, staff_headers, publish=True, people=[{"person_id": person["id"], "role": "speaker"}]
    )
    mark = await outbox_mark(engine)
    await client.patch(url, json={"title": "Chief Executive"}, headers=staff_headers)
    [message] = await emitted_for(engine, live["id"], after=mark)
    assert message.payload["people"][0]["title"] == "Chief Executive"
    busy = await client.delete(url, headers=staff_headers)
    assert (busy.status_code, busy.json()["code"]) == (409, "person_in_use")
    listed = await client.get("/staff/people", headers=staff_headers)
    assert person["id"] in {p["id"] for p in listed.json()}


@pytest.mark.parametrize("kind", ["programmes", "venues", "people", "cohorts"])
async def test_unknown_ids_are_404(
    client: httpx.AsyncClient, staff_headers: Headers, kind: str
) -> None:
    url = f"/staff/{kind}/{uuid.uuid4()}"
    for method, body in (("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)):
        response = await client.request(method, url, json=body, headers=staff_headers)
        assert response.status_code == 404, (method, response.text)
