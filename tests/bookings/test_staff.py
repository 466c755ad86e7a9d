"""Staff routes: auth on every one of them, lists, CSV, counts, acting for people, attendance,
partners."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from services.bookings.app import create_app
from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, messages, person, put_event
from tests.conftest import token
from tests.support.staff_keys import OTHER_SIGNING_KEY


def _routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, through FastAPI's included routers."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        found = (
            [(c.path, c.original_route) for c in contexts()] if contexts else [(route.path, route)]
        )  # type: ignore[attr-defined]
        for path, original in found:
            for method in sorted(getattr(original, "methods", None) or ()):
                if method != "HEAD":
                    yield method, path


STAFF_ROUTES = [(m, p) for m, p in _routes(create_app()) if p.startswith("/staff")]


def test_the_walk_found_the_staff_routes() -> None:
    assert len(STAFF_ROUTES) >= 14


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
async def test_every_staff_route_refuses_no_token_a_bad_token_and_the_wrong_role(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    expired = token("staff", ttl=timedelta(seconds=-1))
    for headers, expected in (
        ({}, 401),
        ({"Authorization": "Bearer not-a-jwt"}, 401),
        ({"Authorization": f"Bearer {token('staff', key=OTHER_SIGNING_KEY)}"}, 401),
        ({"Authorization": f"Bearer {expired}"}, 401),
        ({"Authorization": f"Bearer {token('ops')}"}, 403),
    ):
        r = await client.request(method, url, headers=headers, json={})
        assert r.status_code == expected, (method, path, headers, r.text)


async def test_list_search_csv_and_counts(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    state = await put_event(
        process.db, process.settings, event_state(capacity=2, options=[("Walk", 1), ("Talk", 2)])
    )
    walk, talk = (str(o.option_id) for o in state.options)
    url = f"/public/events/{state.event_id}/bookings"
    await client.post(url, json=person(1, option_id=walk, name='=HYPERLINK("x")'))
    await client.post(url, json=person(2, option_id=walk, organisation="Wigan NHS"))
    await client.post(url, json=person(3, option_id=talk))
    base = f"/staff/events/{state.event_id}"
    listed = (await client.get(f"{base}/bookings", headers=staff_headers)).json()["items"]
    assert [b["status"] for b in listed] == ["confirmed", "waitlisted", "confirmed"]
    found = await client.get(f"{base}/bookings", params={"q": "wigan"}, headers=staff_headers)
    assert [b["organisation"] for b in found.json()["items"]] == ["Wigan NHS"]
    waiting = (await client.get(f"{base}/waiting-list", headers=staff_headers)).json()["items"]
    assert [b["waitlist_position"] for b in waiting] == [1]
    r = await client.get(f"{base}/bookings.csv", headers=staff_headers)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 and rows[0]["name"] == '\'=HYPERLINK("x")'
    counts = (await client.get(f"{base}/counts", headers=staff_headers)).json()
    assert (counts["confirmed"], counts["waiting"], counts["remaining"]) == (2, 1, 0)
    by_name = {o["name"]: o for o in counts["options"]}
    assert (by_name["Walk"]["confirmed"], by_name["Walk"]["waiting"]) == (1, 1)


async def test_staff_book_on_behalf_outside_the_window_but_never_beyond_capacity(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    closed = datetime.now(UTC) - timedelta(hours=1)
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=1, booking_closes_at=closed, audience=("invitation", [])),
    )
    url = f"/staff/events/{state.event_id}/bookings"
    first = await client.post(url, json=person(1), headers=staff_headers)
    second = await client.post(url, json=person(2), headers=staff_headers)
    assert (first.status_code, first.json()["status"]) == (201, "confirmed")
    assert second.json()["status"] == "waitlisted"


async def test_staff_cancel_and_promote_by_hand_after_the_cut_off(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=2)
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=1, starts_at=soon, ends_at=soon + timedelta(hours=1)),
    )
    url = f"/staff/events/{state.event_id}/bookings"
    first = (await client.post(url, json=person(1), headers=staff_headers)).json()
    second = (await client.post(url, json=person(2), headers=staff_headers)).json()
    r = await client.post(
        f"/staff/bookings/{first['booking_id']}/cancel",
        json={"reason": "asked by phone"},
        headers=staff_headers,
    )
    assert r.json()["cancelled_by"] == "staff"
    counts = (
        await client.get(f"/staff/events/{state.event_id}/counts", headers=staff_headers)
    ).json()
    assert (counts["confirmed"], counts["waiting"], counts["auto_promotion"]) == (0, 1, False)
    r = await client.post(f"/staff/bookings/{second['booking_id']}/promote", headers=staff_headers)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await client.post(f"/staff/bookings/{second['booking_id']}/promote", headers=staff_headers)
    assert (r.status_code, r.json()["code"]) == (409, "not_waiting")
    kinds = [m["type"] for m in await messages(process.db, event_id=state.event_id)]
    assert kinds[-2:] == ["bookings.booking.cancelled", "bookings.booking.promoted"]


async def test_attendance_per_session(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    state = await put_event(process.db, process.settings, event_state(sessions=["Day 1", "Day 2"]))
    day1, day2 = (s.session_id for s in state.sessions)
    booked = (
        await client.post(
            f"/staff/events/{state.event_id}/bookings", json=person(1), headers=staff_headers
        )
    ).json()
    url = f"/staff/bookings/{booked['booking_id']}/attendance"
    r = await client.put(url, json={"status": "attended"}, headers=staff_headers)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "session_id"
    await client.put(
        url, json={"session_id": str(day1), "status": "attended"}, headers=staff_headers
    )
    r = await client.put(
        url, json={"session_id": str(day2), "status": "no_show"}, headers=staff_headers
    )
    assert r.json()["attendance"] == {str(day1): "attended", str(day2): "no_show"}
    r = await client.put(
        url, json={"session_id": str(uuid.uuid4()), "status": "attended"}, headers=staff_headers
    )
    assert r.status_code == 422
    counts = (
        await client.get(f"/staff/events/{state.event_id}/counts", headers=staff_headers)
    ).json()
    assert counts["attended"] == 1
    assert {s["title"]: (s["attended"], s["no_show"]) for s in counts["sessions"]} == {
        "Day 1": (1, 0),
        "Day 2": (0, 1),
    }


async def test_partners_crud_and_bookings_record_their_partner(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    r = await client.post(
        "/staff/partners",
        json={"name": "Bolton Council", "allowed_origins": ["https://www.bolton.gov.uk"]},
        headers=staff_headers,
    )
    assert r.status_code == 201
    partner = r.json()
    bad = await client.post(
        "/staff/partners",
        json={"name": "X", "allowed_origins": ["javascript:alert(1)"]},
        headers=staff_headers,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] == [
        "body",
        "allowed_origins",
    ]
    state = await put_event(process.db, process.settings, event_state())
    booked = await client.post(
        f"/public/events/{state.event_id}/bookings",
        json=person(1),
        headers={"X-Partner-Key": partner["key"]},
    )
    assert booked.status_code == 201
    [message] = await messages(process.db, event_id=state.event_id)
    assert message["payload"]["partner_id"] == partner["id"]
    r = await client.patch(
        f"/staff/partners/{partner['id']}", json={"rotate_key": True}, headers=staff_headers
    )
    assert r.json()["key"] != partner["key"]
    r = await client.delete(f"/staff/partners/{partner['id']}", headers=staff_headers)
    assert r.json()["active"] is False
    listed = (await client.get("/staff/partners", headers=staff_headers)).json()
    assert partner["id"] in [p["id"] for p in listed]
    missing = await client.get(f"/staff/partners/{uuid.uuid4()}", headers=staff_headers)
    assert missing.status_code == 404


async def test_staff_bad_input(client: httpx.AsyncClient, staff_headers: dict[str, str]) -> None:
    for method, url, body in (
        ("GET", f"/staff/events/{uuid.uuid4()}/counts", None),
        ("GET", f"/staff/events/{uuid.uuid4()}/bookings", None),
        ("POST", f"/staff/bookings/{uuid.uuid4()}/cancel", {}),
        ("POST", f"/staff/bookings/{uuid.uuid4()}/promote", None),
        ("GET", f"/staff/bookings/{uuid.uuid4()}", None),
    ):
        r = await client.request(method, url, json=body, headers=staff_headers)
        assert r.status_code == 404, (url, r.text)
    r = await client.get(
        f"/staff/events/{uuid.uuid4()}/bookings", params={"limit": 0}, headers=staff_headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
    r = await client.put(
        f"/staff/bookings/{uuid.uuid4()}/attendance", json={"status": "late"}, headers=staff_headers
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "status"


async def test_staff_change_a_booking_option_for_the_person(
    client: httpx.AsyncClient, process: BookingsProcess, staff_headers: dict[str, str]
) -> None:
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=4, options=[("Walk", 2), ("Dinner", 1), ("Talk", 1)]),
    )
    walk, dinner, talk = (str(o.option_id) for o in state.options)
    url = f"/staff/events/{state.event_id}/bookings"
    mover = (await client.post(url, json=person(1, option_id=walk), headers=staff_headers)).json()
    other = (await client.post(url, json=person(2, option_id=walk), headers=staff_headers)).json()
    await client.post(url, json=person(3, option_id=talk), headers=staff_headers)
    change = f"/staff/bookings/{mover['booking_id']}/change"
    r = await client.post(change, json={"option_id": dinner}, headers=staff_headers)
    assert r.status_code == 200, r.text
    assert (r.json()["option_name"], r.json()["status"]) == ("Dinner", "confirmed")
    changed = [
        m for m in await messages(process.db, event_id=state.event_id)
        if m["type"] == "bookings.booking.changed"
    ]  # fmt: skip
    assert [m["payload"]["previous_option_name"] for m in changed] == ["Walk"]
    async with process.db.engine.connect() as conn:
        recorded = (
            await conn.execute(
                sa.text(
                    "SELECT convert_from(body, 'UTF8')::jsonb -> 'payload' ->> 'action' "
                    "FROM outbox WHERE routing_key = 'bookings.staff_action.recorded' "
                    "AND convert_from(body, 'UTF8')::jsonb -> 'payload' ->> 'target_id' = :id"
                ),
                {"id": mover["booking_id"]},
            )
        ).scalars()
        assert list(recorded).count("booking.changed") == 1

    # Dinner now has no room: the other booking cannot follow, and nothing moves.
    r = await client.post(
        f"/staff/bookings/{other['booking_id']}/change",
        json={"option_id": dinner},
        headers=staff_headers,
    )
    assert (r.status_code, r.json()["code"]) == (409, "option_full"), r.text
    assert "Dinner is full" in r.text
    r = await client.post(
        f"/staff/bookings/{other['booking_id']}/change",
        json={"option_id": str(uuid.uuid4())},
        headers=staff_headers,
    )
    assert r.status_code == 422 and "option_id" in r.text, r.text
    kept = await client.get(f"/staff/bookings/{other['booking_id']}", headers=staff_headers)
    assert kept.json()["option_name"] == "Walk"
    counts = (
        await client.get(f"/staff/events/{state.event_id}/counts", headers=staff_headers)
    ).json()
    by_name = {o["name"]: o["confirmed"] for o in counts["options"]}
    assert by_name == {"Walk": 1, "Dinner": 1, "Talk": 1}

    await client.post(f"/staff/bookings/{other['booking_id']}/cancel", headers=staff_headers)
    r = await client.post(
        f"/staff/bookings/{other['booking_id']}/change",
        json={"option_id": talk},
        headers=staff_headers,
    )
    assert (r.status_code, r.json()["code"]) == (409, "already_cancelled"), r.text
    r = await client.post(
        f"/staff/bookings/{uuid.uuid4()}/change", json={"option_id": walk}, headers=staff_headers
    )
    assert r.status_code == 404, r.text
    for body in ({}, {"option_id": "dinner"}, {"option_id": walk, "status": "confirmed"}):
        r = await client.post(change, json=body, headers=staff_headers)
        assert r.status_code == 422, (body, r.text)
    kinds = [m["type"] for m in await messages(process.db, event_id=state.event_id)]
    assert kinds.count("bookings.booking.changed") == 1
