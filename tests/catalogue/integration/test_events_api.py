"""Staff event routes against the real database: creating, validating, changing and the
lifecycle, each asserting both the answer and what went to the outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contracts import EventState
from tests.catalogue.support import (
    at,
    emitted_for,
    error_fields,
    iso,
    make_cohort,
    make_event,
    make_person,
    make_programme,
    make_venue,
    minimal_event,
    outbox_mark,
    unique,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]


async def test_the_minimal_create_and_publish_still_work(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    mark = await outbox_mark(engine)
    event = await make_event(client, staff_headers)
    assert (event["status"], event["version"], event["kind"]) == ("draft", 0, "event")
    assert await emitted_for(engine, event["id"], after=mark) == []  # a draft is private

    response = await client.post(f"/staff/events/{event['id']}/publish", headers=staff_headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("published", 1)
    [message] = await emitted_for(engine, event["id"], after=mark)
    assert message.type == "catalogue.event.published"
    state = EventState.model_validate(message.payload)
    assert (state.version, state.capacity, len(state.sessions)) == (1, 40, 1)


async def full_body(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    programme = await make_programme(client, headers)
    cohort = await make_cohort(client, headers, programme["id"], 2)
    venue = await make_venue(client, headers, map_url="https://example.org/map")
    person = await make_person(client, headers)
    day1, day2 = at(40, 8), at(82, 8)
    return {
        "title": "Immersion days",
        "programme_id": programme["id"],
        "kind": "immersion",
        "summary": "Two days",
        "description": "Long description",
        "capacity": 100,
        "starts_at": iso(day1),
        "ends_at": iso(day2 + timedelta(hours=8)),
        "sessions": [
            {"title": "Day one", "starts_at": iso(day1), "ends_at": iso(day1 + timedelta(hours=8))},
            {"title": "Day two", "starts_at": iso(day2), "ends_at": iso(day2 + timedelta(hours=8))},
        ],
        "venue_id": venue["id"],
        "options": [
            {"name": "Street Wisdom", "capacity": 34},
            {"name": "The A Teams", "capacity": 33},
            {"name": "Barnabus", "capacity": 33, "description": "Dinner"},
        ],
        "audience": {"kind": "cohorts", "cohort_ids": [cohort["id"]]},
        "booking_opens_at": iso(at(1)),
        "booking_closes_at": iso(at(38)),
        "waitlist_enabled": False,
        "people": [
            {"person_id": person["id"], "role": "facilitator", "day": day2.date().isoformat()}
        ],
        "resources": [{"title": "Reading", "url": "https://example.org/r.pdf", "kind": "notes"}],
        "expectations": ["lead-from-place", "build-trust"],
    }


async def test_a_full_event_is_shown_and_published_whole(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    body = await full_body(client, staff_headers)
    mark = await outbox_mark(engine)
    event = await make_event(client, staff_headers, publish=True, **body)
    assert [s["title"] for s in event["sessions"]] == ["Day one", "Day two"]
    assert [o["name"] for o in event["options"]] == ["Street Wisdom", "The A Teams", "Barnabus"]
    assert event["venue"]["map_url"] == "https://example.org/map"
    assert event["people"][0]["role"] == "facilitator"
    assert [e["name"] for e in event["expectations"]] == ["Lead from place", "Build trust"]
    assert event["slug"] == "immersion-days"

    [message] = await emitted_for(engine, event["id"], after=mark)
    state = EventState.model_validate(message.payload)
    assert state.programme_name == event["programme"]["name"]
    assert [str(o.option_id) for o in state.options] == [o["option_id"] for o in event["options"]]
    assert [str(c) for c in state.audience.cohort_ids] == body["audience"]["cohort_ids"]
    assert state.venue and state.venue.name == event["venue"]["name"]
    assert state.people[0].name == event["people"][0]["name"]
    assert state.expectations == ["Lead from place", "Build trust"]
    assert state.resources[0].kind == "notes" and state.waitlist_enabled is False
    assert state.booking_closes_at == datetime.fromisoformat(body["booking_closes_at"])


def _bad(**changes: Any) -> dict[str, Any]:
    return minimal_event(**changes)


BAD_CREATES = [
    (_bad(ends_at=iso(at(29))), "ends_at"),
    (_bad(capacity=-1), "capacity"),
    (_bad(starts_at="2030-01-01T09:00:00"), "starts_at"),  # no time zone
    (_bad(timezone="Mars/Olympus"), "timezone"),
    (_bad(slug="0b7f6f4e-58f6-4c1a-9d3c-1b2a3c4d5e6f"), "slug"),
    (_bad(slug="Not A Slug"), "slug"),
    (_bad(kind="Launch!"), "kind"),
    (_bad(capcity=3), "capcity"),
    (_bad(sessions=[{"starts_at": iso(at(31, 9)), "ends_at": iso(at(31, 10))}]), "sessions.0"),
    (_bad(options=[{"name": "A", "capacity": 30}, {"name": "B", "capacity": 11}]), "options"),
    (_bad(venue_id=str(uuid.uuid4())), "venue_id"),
    (_bad(programme_id=str(uuid.uuid4())), "programme_id"),
    (
        _bad(audience={"kind": "cohorts", "cohort_ids": [str(uuid.uuid4())]}),
        "audience.cohort_ids.0",
    ),
    (_bad(audience={"kind": "everyone"}), "audience.kind"),
    (_bad(people=[{"person_id": str(uuid.uuid4())}]), "people.0.person_id"),
    (_bad(expectations=["build-trust"]), "expectations"),
    (_bad(resources=[{"title": "Slides", "url": "not a url"}]), "resources.0.url"),
    (_bad(resources=[{"title": "Slides", "url": "javascript:alert(1)"}]), "resources.0.url"),
    (_bad(resources=[{"title": "Photos", "url": "ftp://example.org/p.zip"}]), "resources.0.url"),
    (_bad(resources=[{"title": "Notes", "url": "data:text/html,<b>x</b>"}]), "resources.0.url"),
    (_bad(booking_closes_at=iso(at(40))), "booking_closes_at"),
    ({"title": "No times", "capacity": 3}, "starts_at"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CREATES)
async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, staff_headers: Headers, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/staff/events", json=body, headers=staff_headers)
    assert field in error_fields(response)


async def test_expectations_and_cohorts_must_be_the_programmes(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    ours = await make_programme(client, staff_headers)
    theirs = await make_programme(client, staff_headers)
    other_cohort = await make_cohort(client, staff_headers, theirs["id"])
    base = {"programme_id": ours["id"]}
    cases = [
        ({"expectations": ["not-ours"]}, "expectations.0"),
        (
            {"audience": {"kind": "cohorts", "cohort_ids": [other_cohort["id"]]}},
            "audience.cohort_ids.0",
        ),
    ]
    for extra, field in cases:
        response = await client.post(
            "/staff/events", json=minimal_event(**base, **extra), headers=staff_headers
        )
        assert error_fields(response) == [field]


async def test_slugs_are_unique_per_programme(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    one, two = (
        await make_programme(client, staff_headers),
        await make_programme(client, staff_headers),
    )
    slug = unique("reunion")
    await make_event(client, staff_headers, slug=slug, programme_id=one["id"])
    await make_event(client, staff_headers, slug=slug, programme_id=two["id"])
    again = await client.post(
        "/staff/events",
        json=minimal_event(slug=slug, programme_id=one["id"]),
        headers=staff_headers,
    )
    assert (again.status_code, again.json()["code"]) == (409, "slug_taken")
    title = unique("Same Title")
    first = await make_event(client, staff_headers, title=title, programme_id=one["id"])
    second = await make_event(client, staff_headers, title=title, programme_id=one["id"])
    assert second["slug"] == f"{first['slug']}-2"


async def test_a_change_to_a_published_event_takes_the_next_version_and_is_sent(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    event = await make_event(client, staff_headers, publish=True)
    mark = await outbox_mark(engine)
    url = f"/staff/events/{event['id']}"
    changed = await client.patch(
        url, json={"title": "Renamed", "summary": "New"}, headers=staff_headers
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    same = await client.patch(url, json={"title": "Renamed"}, headers=staff_headers)
    assert same.json()["version"] == 2  # nothing changed: no version, no message
    messages = await emitted_for(engine, event["id"], after=mark)
    assert [(m.type, m.payload["version"], m.payload["title"]) for m in messages] == [
        ("catalogue.event.updated", 2, "Renamed")
    ]


async def test_patch_refuses_null_for_what_cannot_be_empty(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    event = await make_event(
        client, staff_headers, venue_id=(await make_venue(client, staff_headers))["id"]
    )
    url = f"/staff/events/{event['id']}"
    assert error_fields(await client.patch(url, json={"title": None}, headers=staff_headers)) == [
        "title"
    ]
    cleared = await client.patch(url, json={"venue_id": None}, headers=staff_headers)
    assert cleared.status_code == 200 and cleared.json()["venue"] is None


async def test_fewer_places_on_a_published_event_come_with_a_warning(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    event = await make_event(
        client, staff_headers, publish=True, options=[{"name": "Walk", "capacity": 20}]
    )
    option = event["options"][0]
    response = await client.patch(
        f"/staff/events/{event['id']}",
        json={
            "capacity": 10,
            "options": [{"option_id": option["option_id"], "name": "Walk", "capacity": 5}],
        },
        headers=staff_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["options"][0]["option_id"] == option["option_id"]
    assert [(w["code"], w["field"]) for w in body["warnings"]] == [
        ("capacity_reduced", "capacity"),
        ("option_capacity_reduced", "options.0.capacity"),
    ]
    assert "waiting list" in body["warnings"][0]["message"]
    more = await client.patch(
        f"/staff/events/{event['id']}", json={"capacity": 50}, headers=staff_headers
    )
    assert more.json()["warnings"] == []


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient, staff_headers: Headers) -> None:
    missing = f"/staff/events/{uuid.uuid4()}"
    for method, url, body in [
        ("GET", missing, None),
        ("PATCH", missing, {"title": "x"}),
        ("DELETE", missing, None),
        ("POST", f"{missing}/publish", None),
        ("POST", f"{missing}/cancel", {"reason": "x"}),
        ("POST", f"{missing}/complete", None),
    ]:
        response = await client.request(method, url, json=body, headers=staff_headers)
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found"), url
    malformed = await client.get("/staff/events/not-an-id", headers=staff_headers)
    assert malformed.status_code == 422


async def test_staff_list_shows_drafts_and_filters(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    draft = await make_event(client, staff_headers, programme_id=programme["id"])
    live = await make_event(client, staff_headers, programme_id=programme["id"], publish=True)
    listed = await client.get(
        "/staff/events", params={"programme_id": programme["id"]}, headers=staff_headers
    )
    assert {e["id"] for e in listed.json()} == {draft["id"], live["id"]}
    drafts = await client.get(
        "/staff/events",
        params={"programme_id": programme["id"], "status": "draft"},
        headers=staff_headers,
    )
    assert [e["id"] for e in drafts.json()] == [draft["id"]]
    bad = await client.get("/staff/events", params={"status": "archived"}, headers=staff_headers)
    assert bad.status_code == 422


async def test_the_same_slug_at_the_same_moment_is_one_201_and_409s(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    body = minimal_event(slug=unique("race"), programme_id=programme["id"])
    responses = await asyncio.gather(
        *(client.post("/staff/events", json=body, headers=staff_headers) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slug_taken"}


async def test_option_groups_required_and_optional_keep_their_ids(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    mark = await outbox_mark(engine)
    groups = [
        {
            "name": "Dinner activity",
            "options": [{"name": "Canal walk", "capacity": 20}, {"name": "Comedy", "capacity": 20}],
        },
        {
            "name": "Workshop slot",
            "required": False,
            "options": [{"name": "Morning", "capacity": 15}],
        },
    ]
    event = await make_event(client, staff_headers, publish=True, option_groups=groups)
    assert [(g["name"], g["required"], len(g["options"])) for g in event["option_groups"]] == [
        ("Dinner activity", True, 2),
        ("Workshop slot", False, 1),
    ]
    assert len(event["options"]) == 3
    [published] = [
        m for m in await emitted_for(engine, event["id"], after=mark) if "published" in m.type
    ]
    state = EventState.model_validate(published.payload)
    assert [(g.name, g.required) for g in state.option_groups] == [
        ("Dinner activity", True),
        ("Workshop slot", False),
    ]
    dinner, workshop = state.option_groups
    assert [o.group_id for o in state.options] == [dinner.group_id] * 2 + [workshop.group_id]

    # Renaming an option and adding one keeps both groups' ids (matched by id, else by name).
    groups[1]["options"].append({"name": "Afternoon", "capacity": 15})
    groups[0]["group_id"] = str(dinner.group_id)
    groups[0]["name"] = "Evening activity"
    changed = await client.patch(
        f"/staff/events/{event['id']}", json={"option_groups": groups}, headers=staff_headers
    )
    assert changed.status_code == 200, changed.text
    again = changed.json()["option_groups"]
    assert [g["group_id"] for g in again] == [str(dinner.group_id), str(workshop.group_id)]
    assert again[0]["name"] == "Evening activity"

    # Each group shares the event's places on its own; bad groups name their field.
    url = f"/staff/events/{event['id']}"
    too_many = [{"name": "Slots", "options": [{"name": "A", "capacity": 41}]}]
    bad = {
        "options": {"option_groups": too_many},
        "option_groups.1.name": {
            "option_groups": [
                groups[1],
                {**groups[1], "group_id": None, "options": [{"name": "X", "capacity": 1}]},
            ]
        },
        "option_groups.0.group_id": {
            "option_groups": [{**groups[0], "group_id": str(uuid.uuid4())}]
        },
        "option_groups.0.options": {"option_groups": [{"name": "Empty", "options": []}]},
        "option_groups": {"option_groups": groups, "options": [{"name": "A", "capacity": 1}]},
    }
    for field, body in bad.items():
        response = await client.patch(url, json=body, headers=staff_headers)
        assert response.status_code == 422, (field, response.text)
        assert field in error_fields(response), (field, response.text)


async def test_an_event_of_one_set_of_options_is_one_required_group(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    event = await make_event(client, staff_headers, options=[{"name": "Walk", "capacity": 5}])
    [group] = event["option_groups"]
    assert (group["group_id"], group["name"], group["required"]) == (event["id"], "", True)
    assert event["options"][0]["group_id"] == event["id"]
