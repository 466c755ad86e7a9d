"""The public programme pages: upcoming events as indexable HTML with schema.org Event JSON-LD
(safe with hostile titles), each event on its own page with the booking form, and the JSON
the list widget draws from."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.bookings.process import BookingsProcess
from shared.contracts import VenueState
from tests.bookings.conftest import event_state, put_event

HOSTILE = '</script><script>alert(1)</script><!-- & "quoted" \u2028 <b>bold</b>'
_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def _ld(html: str) -> object:
    [block] = _LD.findall(html)
    assert "<" not in block and ">" not in block  # nothing can close the element early
    return json.loads(block)


async def _programme(process: BookingsProcess) -> tuple[uuid.UUID, str, list[object]]:
    programme, slug = uuid.uuid4(), f"leading-gm-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    common = {"programme_id": programme, "programme_slug": slug, "programme_name": "Leading GM"}

    def at(days: int, **extra: object) -> object:
        starts = now + timedelta(days=days)
        values = {"starts_at": starts, "ends_at": starts + timedelta(hours=3), **common}
        return event_state(**{**values, **extra})

    states = [
        at(
            20,
            title="Reunion " + HOSTILE,
            slug=f"reunion-{slug}",
            summary=HOSTILE,
            venue=VenueState(name="The Lowry " + HOSTILE, address="Salford Quays"),
        ),
        at(10, title="Masterclass", slug=f"masterclass-{slug}", capacity=1),
        at(-10, title="Long past", slug=f"past-{slug}"),
        at(30, title="Called off", slug=f"off-{slug}", status="cancelled"),
    ]
    for state in states:
        await put_event(process.db, process.settings, state)  # type: ignore[arg-type]
    other = event_state(programme_id=uuid.uuid4(), programme_slug="other", slug=f"other-{slug}")
    await put_event(process.db, process.settings, other)
    return programme, slug, states


async def test_the_programme_page_lists_upcoming_events_with_safe_json_ld(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    programme, slug, _ = await _programme(process)
    for ref in (slug, str(programme)):
        r = await client.get(f"/programmes/{ref}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        assert "noindex" not in r.text
        titles = re.findall(r'<h2 id="event-\d+"><a href="[^"]+">(.*?)</a></h2>', r.text)
        assert titles == [
            "Masterclass",
            "Reunion &lt;/script&gt;&lt;script&gt;alert(1)"
            "&lt;/script&gt;&lt;!-- &amp; &#34;quoted&#34; \u2028 &lt;b&gt;bold&lt;/b&gt;",
        ]
        assert "<script>alert(1)" not in r.text
        ld = _ld(r.text)
        items = [i["item"] for i in ld["itemListElement"]]  # type: ignore[index]
        assert [i["name"] for i in items] == ["Masterclass", "Reunion " + HOSTILE]
        assert items[1]["location"]["name"] == "The Lowry " + HOSTILE
        assert items[0]["@type"] == "Event" and items[0]["offers"]["availability"].endswith(
            "InStock"
        )
        assert items[0]["url"].endswith(f"/programmes/{slug}/events/masterclass-{slug}")
        assert items[0]["startDate"].endswith(("+00:00", "+01:00"))  # London offset


async def test_each_event_has_its_own_page_with_the_booking_form(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    _, slug, states = await _programme(process)
    reunion = states[0]
    r = await client.get(f"/programmes/{slug}/events/reunion-{slug}")
    assert r.status_code == 200
    assert f'data-gm-event="{reunion.event_id}"' in r.text  # type: ignore[attr-defined]
    assert '<link rel="canonical" href="http://' in r.text
    assert "<script>alert(1)" not in r.text
    assert _ld(r.text)["name"] == "Reunion " + HOSTILE  # type: ignore[index]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    # Past and cancelled events keep their page; no form where nobody can book.
    past = await client.get(f"/programmes/{slug}/events/past-{slug}")
    assert past.status_code == 200 and "data-gm-event" not in past.text


async def test_the_list_widgets_json_and_bad_addresses(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    _, slug, _ = await _programme(process)
    r = await client.get(f"/public/programmes/{slug}/events")
    body = r.json()
    assert [e["title"] for e in body["events"]] == ["Masterclass", "Reunion " + HOSTILE]
    assert body["events"][0]["places"] == "1 place left"
    assert body["name"] == "Leading GM"
    for path in (
        "/programmes/no-such-programme",
        f"/programmes/{uuid.uuid4()}",
        f"/programmes/{slug}/events/other-{slug}",  # another programme's event
        f"/programmes/{slug}/events/no-such-event",
        "/public/programmes/no-such-programme/events",
    ):
        assert (await client.get(path)).status_code == 404, path
    for path in (
        "/programmes/bad%20ref",
        f"/programmes/{slug}/events/Not_A_Slug",
        "/programmes/" + "a" * 81,
    ):
        assert (await client.get(path)).status_code in (404, 422), path
