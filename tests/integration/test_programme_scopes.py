"""A token limited to some programmes: each service's staff routes answer 404 for what lies in
another programme (its existence must not leak), 403 with the reason for creating something
there or changing what every programme shares, and lists hold only the allowed programmes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import token
from tests.support.waiting import wait_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

ADMIN = {"Authorization": f"Bearer {token('admin', subject='root')}"}


def limited_to(*programmes: str) -> dict[str, str]:
    signed = token("staff", subject="pat", name="Pat", programmes=list(programmes))
    return {"Authorization": f"Bearer {signed}"}


async def _created(answer: httpx.Response) -> str:
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _programme(catalogue: httpx.AsyncClient, name: str) -> str:
    return await _created(
        await catalogue.post("/staff/programmes", headers=ADMIN, json={"name": name})
    )


async def _event(catalogue: httpx.AsyncClient, programme_id: str | None, title: str) -> str:
    starts = datetime.now(UTC) + timedelta(days=40)
    body = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 10,
        "programme_id": programme_id,
    }
    event_id = await _created(await catalogue.post("/staff/events", headers=ADMIN, json=body))
    published = await catalogue.post(f"/staff/events/{event_id}/publish", headers=ADMIN)
    assert published.status_code == 200, published.text
    return event_id


def _ids(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {str(item["id"]) for item in answer.json()}


async def test_a_limited_token_sees_and_changes_only_its_programmes(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    catalogue, bookings, notifications = (
        clients[s] for s in ("catalogue", "bookings", "notifications")
    )
    tag = uuid.uuid4().hex[:6]
    ours = await _programme(catalogue, f"Ours {tag}")
    theirs = await _programme(catalogue, f"Theirs {tag}")
    our_cohort = await _created(
        await catalogue.post(
            "/staff/cohorts", headers=ADMIN, json={"programme_id": ours, "number": 1}
        )
    )
    their_cohort = await _created(
        await catalogue.post(
            "/staff/cohorts", headers=ADMIN, json={"programme_id": theirs, "number": 1}
        )
    )
    our_event = await _event(catalogue, ours, "Ours")
    their_event = await _event(catalogue, theirs, "Theirs")
    loose_event = await _event(catalogue, None, "In no programme")
    pat = limited_to(ours)

    # Catalogue: lists hold only our programme; theirs is not found; creating there is refused.
    assert _ids(await catalogue.get("/staff/programmes", headers=pat)) == {ours}
    assert ours in _ids(await catalogue.get("/staff/programmes", headers=ADMIN))
    assert theirs in _ids(await catalogue.get("/staff/programmes", headers=ADMIN))
    assert (await catalogue.get(f"/staff/programmes/{theirs}", headers=pat)).status_code == 404
    assert (await catalogue.get(f"/staff/programmes/{ours}", headers=pat)).status_code == 200
    assert _ids(await catalogue.get("/staff/cohorts", headers=pat)) == {our_cohort}
    for path in (f"/staff/cohorts/{their_cohort}", f"/staff/cohorts/{their_cohort}/members"):
        assert (await catalogue.get(path, headers=pat)).status_code == 404, path
    roster = await catalogue.post(
        f"/staff/cohorts/{their_cohort}/roster",
        headers={**pat, "Content-Type": "text/csv"},
        content=b"name,email,organisation\nA B,ab@example.org,Org\n",
    )
    assert roster.status_code == 404, roster.text
    listed = _ids(await catalogue.get("/staff/events", headers=pat))
    assert our_event in listed and their_event not in listed and loose_event not in listed
    for method, path in (
        ("GET", f"/staff/events/{their_event}"),
        ("PATCH", f"/staff/events/{their_event}"),
        ("POST", f"/staff/events/{their_event}/cancel"),
        ("GET", f"/staff/events/{loose_event}"),
    ):
        answer = await catalogue.request(method, path, headers=pat, json={"capacity": 5})
        assert answer.status_code == 404, (method, path, answer.text)
    renamed = await catalogue.patch(
        f"/staff/events/{our_event}", headers=pat, json={"capacity": 12}
    )
    assert renamed.status_code == 200, renamed.text
    moved = await catalogue.patch(
        f"/staff/events/{our_event}", headers=pat, json={"programme_id": theirs}
    )
    assert moved.status_code == 403 and "other programmes" in moved.text, moved.text
    starts = datetime.now(UTC) + timedelta(days=50)
    for programme_id in (theirs, None):
        refused = await catalogue.post(
            "/staff/events",
            headers=pat,
            json={
                "title": "Elsewhere",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
                "capacity": 3,
                "programme_id": programme_id,
            },
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "outside_programmes"
    cohort_there = await catalogue.post(
        "/staff/cohorts", headers=pat, json={"programme_id": theirs, "number": 2}
    )
    assert cohort_there.status_code == 403, cohort_there.text
    assert (
        await catalogue.post("/staff/programmes", headers=pat, json={"name": "Mine"})
    ).status_code == 403
    # Venues and people serve every programme: readable, not changeable, by a limited token.
    assert (await catalogue.get("/staff/venues", headers=pat)).status_code == 200
    venue = await catalogue.post("/staff/venues", headers=pat, json={"name": "Hall"})
    assert venue.status_code == 403 and "shared by every programme" in venue.text

    # Bookings: the replica's event state carries the programme.
    async def replicated() -> bool:
        for event_id in (our_event, their_event):
            answer = await bookings.get(f"/staff/events/{event_id}/counts", headers=ADMIN)
            if answer.status_code != 200:
                return False
        return True

    await wait_for(replicated, timeout=30, message="both events in bookings' replica")
    person = {"name": "Kim Lee", "email": f"kim.{tag}@example.org", "organisation": "Org"}
    their_booking = await bookings.post(
        f"/staff/events/{their_event}/bookings", headers=ADMIN, json=person
    )
    assert their_booking.status_code == 201, their_booking.text
    their_booking_id = their_booking.json()["booking_id"]
    for method, path in (
        ("GET", f"/staff/events/{their_event}/bookings"),
        ("GET", f"/staff/events/{their_event}/bookings.csv"),
        ("GET", f"/staff/events/{their_event}/counts"),
        ("POST", f"/staff/events/{their_event}/bookings"),
        ("GET", f"/staff/bookings/{their_booking_id}"),
        ("POST", f"/staff/bookings/{their_booking_id}/cancel"),
    ):
        answer = await bookings.request(method, path, headers=pat, json=person)
        assert answer.status_code == 404, (method, path, answer.text)
    ours_booked = await bookings.post(
        f"/staff/events/{our_event}/bookings", headers=pat, json=person
    )
    assert ours_booked.status_code == 201, ours_booked.text
    assert (
        await bookings.get(f"/staff/events/{our_event}/bookings", headers=pat)
    ).status_code == 200
    partner = await bookings.post(
        "/staff/partners", headers=pat, json={"name": "Site", "allowed_origins": []}
    )
    assert partner.status_code == 403 and "shared by every programme" in partner.text

    # Notifications: campaigns of another programme's event cannot be made, seen or launched.
    def campaign_for(event_id: str) -> dict[str, object]:
        return {"event_id": event_id, "subject": "Come", "audience": {"emails": [person["email"]]}}

    async def known() -> bool:
        answer = await notifications.post(
            "/staff/campaigns",
            headers=ADMIN,
            json={
                "event_id": their_event,
                "subject": "Come",
                "audience": {"emails": [person["email"]]},
            },
        )
        if answer.status_code == 201:
            known.campaign = answer.json()["id"]  # type: ignore[attr-defined]
            return True
        assert "no such event" in answer.text, answer.text
        return False

    await wait_for(known, timeout=30, message="their event in notifications' replica")
    their_campaign = known.campaign  # type: ignore[attr-defined]
    for method, path in (
        ("GET", f"/staff/campaigns/{their_campaign}"),
        ("POST", f"/staff/campaigns/{their_campaign}/launch"),
        ("POST", f"/staff/campaigns/{their_campaign}/cancel"),
    ):
        answer = await notifications.request(method, path, headers=pat)
        assert answer.status_code == 404, (method, path, answer.text)
    assert (
        await notifications.get(f"/staff/campaigns/{their_campaign}", headers=ADMIN)
    ).status_code == 200
    there = await notifications.post(
        "/staff/campaigns",
        headers=pat,
        json={
            "event_id": their_event,
            "subject": "Come",
            "audience": {"emails": [person["email"]]},
        },
    )
    assert there.status_code == 403, there.text

    async def ours_known() -> bool:
        answer = await notifications.post(
            "/staff/campaigns",
            headers=pat,
            json={
                "event_id": our_event,
                "subject": "Come",
                "audience": {"emails": [person["email"]]},
            },
        )
        return answer.status_code == 201

    await wait_for(ours_known, timeout=30, message="our event in notifications' replica")
