"""Door check-in in bookings: tokens, idempotent check-in and undo with their messages, the
register and counts, walk-ins, and every refusal changing nothing."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.bookings.domain.tokens import (
    booking_id_from_checkin_token,
    booking_id_from_token,
    checkin_token,
    manage_token,
)
from services.bookings.process import BookingsProcess
from shared import qr
from shared.contracts import EventState
from tests.bookings.conftest import event_state, messages, person, put_event
from tests.conftest import token

DOOR = {"Authorization": f"Bearer {token('checkin', subject='door-1')}"}
ATTENDANCE = "bookings.attendance."


def _today(**overrides: Any) -> EventState:
    """An event running now (London), with two options and one session today."""
    now = datetime.now(UTC).replace(microsecond=0)
    values: dict[str, Any] = {
        "starts_at": now - timedelta(minutes=30),
        "ends_at": now + timedelta(minutes=30),
        "timezone": "UTC",
        "options": [("Street Wisdom", 5), ("The A Teams", 5)],
        "sessions": ["Day 1"],
    }
    values.update(overrides)
    state = event_state(**values)
    span = {"starts_at": values["starts_at"], "ends_at": values["ends_at"]}
    sessions = [s.model_copy(update=span) for s in state.sessions]
    return state.model_copy(update={"sessions": sessions})


async def _booked(client: httpx.AsyncClient, state: EventState, n: int, **extra: Any) -> str:
    option = str(state.options[n % len(state.options)].option_id) if state.options else None
    r = await client.post(
        f"/staff/events/{state.event_id}/bookings",
        headers={"Authorization": f"Bearer {token('staff')}"},
        json=person(n, option_id=option, **extra),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["booking_id"])


def _door(state: EventState) -> str:
    return f"/staff/checkin/events/{state.event_id}/sessions/{state.sessions[0].session_id}"


async def _marks(process: BookingsProcess, booking_id: str) -> list[tuple[str, str]]:
    async with process.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.text("SELECT session_id::text, status FROM attendance WHERE booking_id = :b"),
                {"b": booking_id},
            )
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_checkin_token_is_not_the_manage_token_and_forgeries_fail() -> None:
    key, other = b"k" * 32, b"x" * 32
    booking = uuid.uuid4()
    code = checkin_token(key, booking)
    assert code != manage_token(key, booking)
    assert booking_id_from_checkin_token(key, code) == booking
    assert booking_id_from_token(key, code) is None  # a check-in code manages nothing
    assert booking_id_from_checkin_token(key, manage_token(key, booking)) is None
    assert booking_id_from_checkin_token(other, code) is None
    assert booking_id_from_checkin_token(key, code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    assert booking_id_from_checkin_token(key, "short") is None


async def test_check_in_twice_records_once_and_undo_twice_unmarks_once(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, _today())
    booking = await _booked(client, state, 1)
    url = f"{_door(state)}/checkins/{booking}"

    first = await client.put(url, headers=DOOR)
    again = await client.put(url, headers=DOOR)
    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["result"], again.json()["result"]) == ("checked_in", "already_checked_in")
    assert again.json()["attendee"]["checked_in_at"] == first.json()["attendee"]["checked_in_at"]
    assert again.json()["attendee"]["checked_in_by"] == "door-1"
    assert first.json()["counts"]["checked_in"] == 1
    assert await _marks(process, booking) == [(str(state.sessions[0].session_id), "attended")]

    undone = await client.delete(url, headers=DOOR)
    undone_again = await client.delete(url, headers=DOOR)
    assert (undone.json()["result"], undone_again.json()["result"]) == (
        "undone",
        "was_not_checked_in",
    )
    assert undone.json()["counts"]["checked_in"] == 0
    assert await _marks(process, booking) == []

    sent = await messages(process.db, event_id=state.event_id, prefix=ATTENDANCE)
    assert [m["type"] for m in sent] == [
        "bookings.attendance.marked",
        "bookings.attendance.unmarked",
    ]
    marked, unmarked = (m["payload"] for m in sent)
    assert (marked["booking_id"], marked["status"], marked["marked_by"]) == (
        booking,
        "attended",
        "door-1",
    )
    assert (unmarked["status"], unmarked["previous_status"]) == (None, "attended")


async def test_register_search_counts_per_option_and_today(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, _today(title="Door test " + uuid.uuid4().hex[:6])
    )
    orgs = ((1, "Bolton Council"), (2, "Salford NHS"), (3, "Wigan Housing"))
    ids = [await _booked(client, state, n, organisation=org) for n, org in orgs]
    await client.put(f"{_door(state)}/checkins/{ids[1]}", headers=DOOR)

    listed = (
        await client.get(f"{_door(state)}/attendees", headers=DOOR, params={"q": "salf"})
    ).json()
    assert [a["booking_id"] for a in listed["items"]] == [ids[1]]
    assert listed["items"][0]["checked_in_at"] is not None
    counts = (await client.get(f"{_door(state)}/counts", headers=DOOR)).json()
    assert (counts["checked_in"], counts["expected"]) == (1, 3)
    per_option = {o["name"]: (o["checked_in"], o["expected"]) for o in counts["options"]}
    # person n gets option n % 2: 1 -> The A Teams, 2 -> Street Wisdom, 3 -> The A Teams
    assert per_option == {"Street Wisdom": (1, 1), "The A Teams": (0, 2)}

    today = (await client.get("/staff/checkin/today", headers=DOOR)).json()
    mine = [e for e in today["events"] if e["event_id"] == str(state.event_id)]
    assert [s["session_id"] for s in mine[0]["sessions"]] == [str(state.sessions[0].session_id)]


async def test_an_event_next_week_is_not_today_and_refuses_check_in(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    state = await put_event(
        process.db, process.settings, _today(starts_at=later, ends_at=later + timedelta(hours=3))
    )
    booking = await _booked(client, state, 1)
    r = await client.put(f"{_door(state)}/checkins/{booking}", headers=DOOR)
    assert r.status_code == 409 and r.json()["code"] == "not_today", r.text
    assert "opens on its day" in r.json()["detail"]
    assert await _marks(process, booking) == []
    today = (await client.get("/staff/checkin/today", headers=DOOR)).json()
    assert str(state.event_id) not in {e["event_id"] for e in today["events"]}


async def test_refusals_change_nothing(client: httpx.AsyncClient, process: BookingsProcess) -> None:
    state = await put_event(process.db, process.settings, _today())
    other = await put_event(process.db, process.settings, _today())
    booking = await _booked(client, state, 1)
    cancelled = await _booked(client, state, 2)
    staff = {"Authorization": f"Bearer {token('staff')}"}
    await client.post(f"/staff/bookings/{cancelled}/cancel", headers=staff, json={})

    cases = [
        (f"{_door(state)}/checkins/{cancelled}", 409, "booking_cancelled"),
        (f"{_door(other)}/checkins/{booking}", 409, "other_event"),
        (f"/staff/checkin/events/{state.event_id}/sessions/{other.sessions[0].session_id}"
         f"/checkins/{booking}", 404, "session_not_found"),
        (f"{_door(state)}/checkins/{uuid.uuid4()}", 404, "booking_not_found"),
        (f"/staff/checkin/events/{uuid.uuid4()}/sessions/{uuid.uuid4()}/checkins/{booking}",
         404, "event_not_found"),
    ]  # fmt: skip
    for url, status, code in cases:
        r = await client.put(url, headers=DOOR)
        assert (r.status_code, r.json().get("code")) == (status, code), (url, r.text)
    r = await client.put(f"{_door(state)}/checkins/not-a-uuid", headers=DOOR)
    assert r.status_code == 422 and "booking_id" in r.text
    r = await client.get(f"{_door(state)}/attendees", headers=DOOR, params={"q": "x" * 201})
    assert r.status_code == 422 and "q" in r.text
    assert await _marks(process, booking) == [] and await _marks(process, cancelled) == []
    assert await messages(process.db, event_id=state.event_id, prefix=ATTENDANCE) == []


async def test_token_resolves_for_door_staff_and_forged_or_manage_tokens_do_not(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, _today())
    booking = await _booked(client, state, 1, name="Ada Lovelace")
    sent = await messages(process.db, event_id=state.event_id)
    checkin_url = sent[-1]["payload"]["checkin_url"]
    assert checkin_url.startswith(process.settings.console_public_url + "/checkin/t/")
    code = checkin_url.rsplit("/", 1)[1]
    assert code not in sent[-1]["payload"]["manage_url"]

    r = await client.get(f"/staff/checkin/tokens/{code}", headers=DOOR)
    assert r.status_code == 200, r.text
    found = r.json()
    assert (found["booking_id"], found["name"], found["status"]) == (
        booking,
        "Ada Lovelace",
        "confirmed",
    )
    assert [s["session_id"] for s in found["sessions_today"]] == [str(state.sessions[0].session_id)]

    manage = sent[-1]["payload"]["manage_url"].rsplit("/", 1)[1]
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    for bad in (forged, manage, "x" * 43):
        r = await client.get(f"/staff/checkin/tokens/{bad}", headers=DOOR)
        assert (r.status_code, r.json()["code"]) == (404, "token_not_found"), r.text
    r = await client.get("/staff/checkin/tokens/" + "x" * 101, headers=DOOR)
    assert r.status_code == 422
    r = await client.get(f"/staff/checkin/tokens/{code}")
    assert r.status_code == 401
    outside = token("checkin", programmes=[str(uuid.uuid4())])
    r = await client.get(
        f"/staff/checkin/tokens/{code}", headers={"Authorization": f"Bearer {outside}"}
    )
    assert r.status_code == 404


async def test_walk_in_is_booked_and_checked_in_or_told_why_not(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, _today(capacity=1, options=[], waitlist_enabled=False)
    )
    url = f"{_door(state)}/walk-ins"
    r = await client.post(url, headers=DOOR, json=person(1))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["checked_in"], r.json()["counts"]["checked_in"]) == (
        "confirmed", True, 1,
    )  # fmt: skip
    assert await _marks(process, r.json()["booking_id"]) != []

    full = await client.post(url, headers=DOOR, json=person(2))
    assert full.status_code == 409, full.text
    assert full.json()["detail"]
    bad = await client.post(url, headers=DOOR, json={**person(3), "email": "not-an-address"})
    assert bad.status_code == 422 and "email" in bad.text
    extra = await client.post(url, headers=DOOR, json={**person(3), "is_admin": True})
    assert extra.status_code == 422
    counts = (await client.get(f"{_door(state)}/counts", headers=DOOR)).json()
    assert (counts["checked_in"], counts["expected"]) == (1, 1)


@pytest.mark.parametrize("role", ["ops"])
async def test_the_door_routes_refuse_other_roles(client: httpx.AsyncClient, role: str) -> None:
    r = await client.get("/staff/checkin/today", headers={"Authorization": f"Bearer {token(role)}"})
    assert r.status_code == 403
    r = await client.get("/staff/checkin/today", headers=DOOR)
    assert r.status_code == 200


async def test_manage_page_code_is_the_checkin_link_for_confirmed_places_only(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    state = await put_event(
        process.db, process.settings, _today(starts_at=later, ends_at=later + timedelta(hours=3))
    )
    r = await client.post(f"/public/events/{state.event_id}/bookings",
                          json=person(1, option_id=str(state.options[0].option_id)))  # fmt: skip
    assert r.status_code == 201, r.text
    manage = r.json()["manage_token"]
    sent = await messages(process.db, event_id=state.event_id)
    checkin_url = sent[-1]["payload"]["checkin_url"]

    code = await client.get(f"/public/bookings/{manage}/checkin-code.svg")
    assert code.status_code == 200, code.text
    assert code.headers["content-type"].startswith("image/svg+xml")
    assert code.headers["cache-control"] == "no-store"
    assert code.text == qr.svg(checkin_url, title="Your check-in code")

    forged = manage[:-2] + ("AA" if manage[-2:] != "AA" else "BB")
    assert (await client.get(f"/public/bookings/{forged}/checkin-code.svg")).status_code == 404
    await client.post(f"/public/bookings/{manage}/cancel")
    gone = await client.get(f"/public/bookings/{manage}/checkin-code.svg")
    assert (gone.status_code, gone.json()["code"]) == (404, "no_checkin_code")


async def test_csv_lists_no_shows_and_staff_marks_are_published(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    state = await put_event(
        process.db, process.settings, _today(starts_at=ended, ends_at=ended + timedelta(hours=1))
    )
    came, missed = await _booked(client, state, 1), await _booked(client, state, 2)
    staff = {"Authorization": f"Bearer {token('staff')}"}
    session = str(state.sessions[0].session_id)
    mark = {"session_id": session, "status": "attended"}
    for _ in range(2):  # the second mark changes nothing, so it publishes nothing
        r = await client.put(f"/staff/bookings/{came}/attendance", headers=staff, json=mark)
        assert r.status_code == 200, r.text
    sent = await messages(process.db, event_id=state.event_id, prefix=ATTENDANCE)
    assert [(m["type"], m["payload"]["booking_id"]) for m in sent] == [
        ("bookings.attendance.marked", came)
    ]

    csv_text = (
        await client.get(f"/staff/events/{state.event_id}/bookings.csv", headers=staff)
    ).text
    rows = {r["booking_id"]: r for r in csv.DictReader(io.StringIO(csv_text))}
    assert rows[came]["attendance"] == "Day 1: attended"
    assert rows[missed]["attendance"] == "Day 1: no_show"
    late = await client.put(f"{_door(state)}/checkins/{missed}", headers=DOOR)
    assert late.status_code == 409 and late.json()["code"] == "session_over"
