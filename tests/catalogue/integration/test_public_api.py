"""Public routes: what is listed, in what order, filters, lookup by id or slug, and cheap
revalidation with ETag / If-None-Match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.catalogue.support import (
    at,
    iso,
    make_cohort,
    make_event,
    make_programme,
    make_venue,
    unique,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

Headers = dict[str, str]


async def listed(client: httpx.AsyncClient, **params: str) -> list[str]:
    response = await client.get("/events", params=params)
    assert response.status_code == 200, response.text
    return [e["slug"] for e in response.json()]


async def test_published_upcoming_first_then_past_and_never_drafts(
    client: httpx.AsyncClient, staff_headers: Headers, engine: AsyncEngine
) -> None:
    programme = await make_programme(client, staff_headers)
    pid = programme["id"]
    now = datetime.now(UTC)

    async def event(slug: str, starts: datetime, *, publish: bool = True) -> None:
        await make_event(
            client,
            staff_headers,
            publish=publish,
            programme_id=pid,
            slug=slug,
            starts_at=iso(starts),
            ends_at=iso(starts + timedelta(hours=3)),
        )

    await event("later", at(60))
    await event("sooner", at(10))
    await event("draft", at(5), publish=False)
    await event("running-now", now - timedelta(hours=1))
    for slug in ("ended-long-ago", "ended-lately"):
        await event(slug, at(3))
    # Time passes: two published events are now over (publishing one that is over is refused).
    async with engine.begin() as conn:
        for slug, days in (("ended-long-ago", 20), ("ended-lately", 2)):
            await conn.execute(
                sa.text(
                    "UPDATE events SET starts_at = now() - make_interval(days => :d), "
                    "ends_at = now() - make_interval(days => :d) + interval '3 hours' "
                    "WHERE programme_id = :p AND slug = :s"
                ),
                {"d": days, "p": pid, "s": slug},
            )
    cancelled = await make_event(client, staff_headers, publish=True, programme_id=pid, slug="gone")
    await client.post(
        f"/staff/events/{cancelled['id']}/cancel", json={"reason": "x"}, headers=staff_headers
    )

    slugs = await listed(client, programme=programme["slug"])
    assert slugs == ["running-now", "sooner", "later", "ended-lately", "ended-long-ago"]
    assert await listed(client, programme=pid) == slugs  # by id or slug


async def test_filters_kind_audience_and_dates(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    pid = programme["id"]
    cohort = await make_cohort(client, staff_headers, pid)
    await make_event(
        client,
        staff_headers,
        publish=True,
        programme_id=pid,
        slug="open",
        kind="masterclass",
        starts_at=iso(at(20, 9)),
        ends_at=iso(at(20, 12)),
    )
    await make_event(
        client,
        staff_headers,
        publish=True,
        programme_id=pid,
        slug="cohort-only",
        kind="immersion",
        audience={"kind": "cohorts", "cohort_ids": [cohort["id"]]},
        starts_at=iso(at(40, 9)),
        ends_at=iso(at(40, 12)),
    )
    assert await listed(client, programme=pid, audience="public") == ["open"]
    assert await listed(client, programme=pid, kind="immersion") == ["cohort-only"]
    day20 = at(20).date().isoformat()
    assert await listed(client, programme=pid, **{"from": day20, "to": day20}) == ["open"]
    assert await listed(client, programme=pid, **{"from": at(21).date().isoformat()}) == [
        "cohort-only"
    ]
    assert await listed(client, programme=pid, limit="1", offset="1") == ["cohort-only"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2030-02-01", "to": "2030-01-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"audience": "everyone"}, "audience"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1000"}, "limit"),
    ],
)
async def test_bad_filters_are_422(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/events", params=params)
    assert response.status_code == 422
    assert field in [err["loc"][-1] for err in response.json()["detail"]]


async def test_unknown_programme_filter_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/events", params={"programme": "no-such-programme"})
    assert (response.status_code, response.json()["code"]) == (404, "programme_not_found")


async def test_one_event_by_id_or_slug_with_everything(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    venue = await make_venue(client, staff_headers)
    event = await make_event(
        client,
        staff_headers,
        publish=True,
        programme_id=programme["id"],
        venue_id=venue["id"],
        slug=unique("widget"),
    )
    by_id = (await client.get(f"/events/{event['id']}")).json()
    by_slug = (await client.get(f"/events/{event['slug']}")).json()
    assert by_id == by_slug
    assert (
        by_id["venue"]["name"] == venue["name"] and by_id["programme"]["slug"] == programme["slug"]
    )
    assert "warnings" not in by_id and "options_within_capacity" not in by_id


async def test_drafts_and_unknowns_are_404(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    draft = await make_event(client, staff_headers)
    for ref in (
        draft["id"],
        draft["slug"],
        "no-such-event",
        "00000000-0000-0000-0000-000000000000",
    ):
        response = await client.get(f"/events/{ref}")
        assert (response.status_code, response.json()["code"]) == (404, "event_not_found"), ref


async def test_a_slug_two_programmes_share_needs_the_programme(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    slug = unique("shared")
    one, two = (
        await make_programme(client, staff_headers),
        await make_programme(client, staff_headers),
    )
    first = await make_event(client, staff_headers, publish=True, programme_id=one["id"], slug=slug)
    await make_event(client, staff_headers, publish=True, programme_id=two["id"], slug=slug)
    ambiguous = await client.get(f"/events/{slug}")
    assert (ambiguous.status_code, ambiguous.json()["code"]) == (409, "ambiguous_slug")
    chosen = await client.get(f"/events/{slug}", params={"programme": one["slug"]})
    assert chosen.json()["id"] == first["id"]


async def test_etag_and_304_until_the_event_changes(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    event = await make_event(client, staff_headers, publish=True)
    url = f"/events/{event['slug']}"
    first = await client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=30"
    assert etag.startswith('"') and not etag.startswith("W/")

    unchanged = await client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    weak = await client.get(url, headers={"If-None-Match": f'"nope", W/{etag}'})
    assert weak.status_code == 304
    assert (await client.get(url, headers={"If-None-Match": '"nope"'})).status_code == 200

    await client.patch(
        f"/staff/events/{event['id']}", json={"summary": "Changed"}, headers=staff_headers
    )
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["summary"] == "Changed"


async def test_the_list_has_an_etag_too(client: httpx.AsyncClient, staff_headers: Headers) -> None:
    programme = await make_programme(client, staff_headers)
    await make_event(client, staff_headers, publish=True, programme_id=programme["id"])
    params = {"programme": programme["slug"]}
    etag = (await client.get("/events", params=params)).headers["etag"]
    again = await client.get("/events", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304
    await make_event(client, staff_headers, publish=True, programme_id=programme["id"])
    assert (
        await client.get("/events", params=params, headers={"If-None-Match": etag})
    ).status_code == 200


async def test_what_the_page_shows_from_elsewhere_changes_its_etag(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    programme = await make_programme(client, staff_headers)
    venue = await make_venue(client, staff_headers)
    event = await make_event(
        client, staff_headers, publish=True, programme_id=programme["id"], venue_id=venue["id"]
    )
    url = f"/events/{event['id']}"
    tags = [(await client.get(url)).headers["etag"]]
    for staff_url, change in (
        (f"/staff/venues/{venue['id']}", {"accessibility": "Lift out of order"}),
        (f"/staff/programmes/{programme['id']}", {"slug": unique("renamed")}),
    ):
        await client.patch(staff_url, json=change, headers=staff_headers)
        response = await client.get(url, headers={"If-None-Match": tags[-1]})
        assert response.status_code == 200
        tags.append(response.headers["etag"])
    page = (await client.get(url)).json()
    assert page["venue"]["accessibility"] == "Lift out of order"
    assert page["programme"]["slug"] == change["slug"]
    assert len(set(tags)) == 3


async def test_a_cancelled_event_page_still_revalidates(
    client: httpx.AsyncClient, staff_headers: Headers
) -> None:
    event = await make_event(client, staff_headers, publish=True)
    await client.post(
        f"/staff/events/{event['id']}/cancel", json={"reason": "x"}, headers=staff_headers
    )
    first = await client.get(f"/events/{event['id']}")
    assert first.json()["status"] == "cancelled"
    again = await client.get(
        f"/events/{event['id']}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
