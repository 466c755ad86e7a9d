"""The bookings edge the embedded widget relies on, over HTTP in-process: the script and pages
it serves, events by slug, CORS by partner, the honeypot and the rate limits."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.bookings.app import create_app
from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, person, put_event
from tests.conftest import running, settings_for
from tests.support.infra import Infra

SITE = "https://www.trafford.gov.uk"


async def partner(client: httpx.AsyncClient, staff: dict[str, str], *origins: str) -> str:
    r = await client.post(
        "/staff/partners",
        json={"name": f"Council {uuid.uuid4().hex[:6]}", "allowed_origins": list(origins)},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


async def test_widget_script_is_small_cacheable_javascript(client: httpx.AsyncClient) -> None:
    r = await client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "max-age=" in r.headers["cache-control"]
    assert r.headers["access-control-allow-origin"] == "*"
    # 22 KiB since option groups (issue 15): one fieldset per group, "None" for optional ones.
    assert len(r.content) < 22 * 1024
    again = await client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


async def test_pages_load_their_script_from_a_file_under_a_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    event_id = uuid.uuid4()
    book = await client.get(f"/book/{event_id}", params={"invitation": "x.y.z"})
    assert book.status_code == 200 and book.headers["content-type"].startswith("text/html")
    assert f'data-gm-event="{event_id}"' in book.text
    assert "default-src 'self'" in book.headers["content-security-policy"]
    assert '<script src="../widget.js" defer></script>' in book.text
    assert "<script>" not in book.text
    manage = await client.get("/manage/" + "A" * 43)
    assert manage.status_code == 200 and manage.headers["cache-control"] == "no-store"
    assert '<script src="../static/manage.js" defer></script>' in manage.text
    script = await client.get("/static/manage.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/static/secrets.py")).status_code == 404
    assert (await client.get("/book/<script>")).status_code in (404, 422)


async def test_event_by_slug_answers_as_by_id(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    slug = f"masterclass-{uuid.uuid4().hex[:8]}"
    state = await put_event(process.db, process.settings, event_state(slug=slug))
    by_slug = await client.get(f"/public/events/by-slug/{slug}")
    by_id = await client.get(f"/public/events/{state.event_id}")
    assert by_slug.status_code == 200, by_slug.text
    assert by_slug.json() == by_id.json()
    missing = await client.get("/public/events/by-slug/no-such-event")
    assert (missing.status_code, missing.json()["code"]) == (404, "event_not_found")
    bad = await client.get("/public/events/by-slug/Not_A_Slug")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["path", "slug"]


async def test_cors_answers_only_the_partners_own_origins(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    key = await partner(client, staff_headers, SITE)
    state = await put_event(process.db, process.settings, event_state())
    url = f"/public/events/{state.event_id}"

    ok = await client.get(url, params={"partner": key}, headers={"Origin": SITE})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == SITE
    assert "origin" in ok.headers["vary"].lower()

    cases = {
        "origin_not_allowed": ({"Origin": "https://evil.example"}, {"partner": key}),
        "partner_required": ({"Origin": SITE}, {}),
        "unknown_partner": ({"Origin": SITE}, {"partner": "pk_nobody"}),
    }
    for code, (headers, params) in cases.items():
        r = await client.get(url, headers=headers, params=params)
        assert (r.status_code, r.json()["code"]) == (403, code), r.text
        # Readable by the page that asked, so the widget can say something polite.
        assert r.headers["access-control-allow-origin"] == headers["Origin"]

    # The API itself: an unknown key is refused whatever the origin, even with none.
    booking = await client.post(
        f"{url}/bookings", json=person(1), headers={"X-Partner-Key": "pk_nobody"}
    )
    assert (booking.status_code, booking.json()["code"]) == (403, "unknown_partner")
    # Without an Origin (a server, a script) or from this service's own pages: not CORS.
    assert (await client.get(url)).status_code == 200
    own = await client.get(url, headers={"Origin": "http://test"})
    assert own.status_code == 200 and "access-control-allow-origin" not in own.headers


async def test_preflight_is_answered_for_registered_origins_only(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    key = await partner(client, staff_headers, "https://www.stockport.gov.uk:443")
    state = await put_event(process.db, process.settings, event_state(capacity=3))
    url = f"/public/events/{state.event_id}/bookings"
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    site = "https://www.stockport.gov.uk"

    preflight = await client.options(url, headers={"Origin": site, **ask})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://www.stockport.gov.uk"
    assert "x-partner-key" in preflight.headers["access-control-allow-headers"]
    refused = await client.options(url, headers={"Origin": "https://evil.example", **ask})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers

    booked = await client.post(
        url,
        json=person(1),
        headers={"Origin": "https://www.stockport.gov.uk", "X-Partner-Key": key},
    )
    assert booked.status_code == 201, booked.text
    assert booked.headers["access-control-allow-origin"] == "https://www.stockport.gov.uk"


async def test_a_filled_honeypot_books_nothing(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=1))
    url = f"/public/events/{state.event_id}/bookings"
    trapped = await client.post(url, json=person(1, website="http://spam.example"))
    assert trapped.status_code == 422
    assert trapped.json()["detail"][0]["loc"] == ["body", "website"]
    event = (await client.get(f"/public/events/{state.event_id}")).json()
    assert event["remaining"] == 1
    assert (await client.post(url, json=person(2, website=""))).status_code == 201


@pytest.mark.parametrize("enabled", [True, False])
async def test_rate_limit_answers_429_with_retry_after(infra: Infra, enabled: bool) -> None:
    settings = settings_for(
        "bookings",
        infra,
        rate_limits={"book": (2, 0.01), "read": (3, 0.01)},
        rate_limit_enabled=enabled,
        run_workers=False,
    )
    async with running(create_app(settings)) as client:
        event_id = uuid.uuid4()
        reads = [(await client.get(f"/public/events/{event_id}")).status_code for _ in range(4)]
        books = [
            (await client.post(f"/public/events/{event_id}/bookings", json=person(n)))
            for n in range(3)
        ]
        if not enabled:
            assert 429 not in reads + [b.status_code for b in books]
            return
        assert reads == [404, 404, 404, 429]
        assert [b.status_code for b in books] == [404, 404, 429]
        assert int(books[-1].headers["retry-after"]) >= 1
        assert books[-1].json()["code"] == "rate_limited"
        # Other groups, and the script, draw on their own allowance.
        assert (await client.get("/widget.js")).status_code == 200
        schema = (await client.get("/openapi.json")).json()
        answers = schema["paths"]["/public/events/{event_id}/bookings"]["post"]["responses"]
        assert {"403", "429"} <= set(answers)


async def test_rate_limits_count_the_visitor_behind_a_trusted_proxy_only(infra: Infra) -> None:
    """Behind the ingress each visitor has its own bucket (taken from X-Forwarded-For); a
    client talking to the service directly cannot pick a bucket by writing the header, nor can
    one behind the ingress by prepending to it; IPv6 visitors are counted per /64."""
    settings = settings_for(
        "bookings",
        infra,
        rate_limits={"read": (2, 0.001)},
        trusted_proxies=("10.42.0.0/16", "fd00:42::/64"),
        rate_limit_enabled=True,
        run_workers=False,
    )
    app = create_app(settings)
    url = f"/public/events/{uuid.uuid4()}"

    async with app.router.lifespan_context(app):

        async def statuses(peer: str, forwarded: str | None, times: int = 3) -> list[int]:
            transport = httpx.ASGITransport(app=app, client=(peer, 40000))
            headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return [(await c.get(url, headers=headers)).status_code for _ in range(times)]

        # Two visitors through the ingress: separate buckets, so neither blocks the other.
        assert await statuses("10.42.0.7", "198.51.100.1") == [404, 404, 429]
        assert await statuses("10.42.0.7", "198.51.100.2") == [404, 404, 429]
        # Another ingress pod, another chain of trusted hops: still the same visitor.
        assert await statuses("fd00:42::9", "198.51.100.3, 10.42.0.8", times=2) == [404, 404]
        assert await statuses("10.42.0.7", "198.51.100.3", times=1) == [429]
        # What the visitor wrote itself (left of what the ingress appended) is not believed.
        assert await statuses("10.42.0.7", "203.0.113.50, 198.51.100.1", times=1) == [429]
        # A direct, untrusted peer is its own client whatever the header says.
        assert await statuses("203.0.113.9", "198.51.100.4") == [404, 404, 429]
        assert await statuses("203.0.113.9", "198.51.100.5", times=1) == [429]
        assert await statuses("203.0.113.10", None, times=1) == [404]
        # IPv6 visitors: one bucket per /64, through the ingress or not.
        assert await statuses("10.42.0.7", "2001:db8:1:2::1", times=2) == [404, 404]
        assert await statuses("10.42.0.7", "[2001:db8:1:2:ffff::9]:5555", times=1) == [429]
        assert await statuses("2001:db8:1:2::77", None, times=1) == [429]
        assert await statuses("2001:db8:1:3::1", None, times=1) == [404]
