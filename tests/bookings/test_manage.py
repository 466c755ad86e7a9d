"""Managing a booking through its token: read, cancel, change option; promotions follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, messages, person, put_event


async def _book(client: httpx.AsyncClient, event_id: object, n: int, **extra: object) -> dict:
    r = await client.post(f"/public/events/{event_id}/bookings", json=person(n, **extra))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_cancelling_promotes_the_first_waiting_person(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=1))
    first, second, third = [await _book(client, state.event_id, n) for n in range(3)]
    r = await client.post(f"/public/bookings/{first['manage_token']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    promoted = (await client.get(f"/public/bookings/{second['manage_token']}")).json()
    still = (await client.get(f"/public/bookings/{third['manage_token']}")).json()
    assert promoted["status"] == "confirmed"
    assert (still["status"], still["waitlist_position"]) == ("waitlisted", 1)
    kinds = [m["type"] for m in await messages(process.db, event_id=state.event_id)][3:]
    assert kinds == ["bookings.booking.cancelled", "bookings.booking.promoted"]
    cancelled = (await messages(process.db, event_id=state.event_id))[3]["payload"]
    assert (cancelled["cancelled_by"], cancelled["was_status"], cancelled["version"]) == (
        "attendee",
        "confirmed",
        2,
    )
    again = await client.post(f"/public/bookings/{first['manage_token']}/cancel")
    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")


async def test_no_automatic_promotion_after_the_cut_off(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    soon = datetime.now(UTC) + timedelta(hours=3)
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=1, starts_at=soon, ends_at=soon + timedelta(hours=2)),
    )
    first, second = [await _book(client, state.event_id, n) for n in range(2)]
    await client.post(f"/public/bookings/{first['manage_token']}/cancel")
    waiting = (await client.get(f"/public/bookings/{second['manage_token']}")).json()
    assert waiting["status"] == "waitlisted"


async def test_changing_option_moves_the_place_and_promotes_into_the_old_one(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, event_state(capacity=3, options=[("Walk", 1), ("Talk", 2)])
    )
    walk, talk = (str(o.option_id) for o in state.options)
    mover = await _book(client, state.event_id, 1, option_id=walk)
    waiter = await _book(client, state.event_id, 2, option_id=walk)
    assert waiter["status"] == "waitlisted"
    r = await client.patch(
        f"/public/bookings/{mover['manage_token']}",
        json={"option_id": talk, "dietary_needs": "vegetarian"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["option_name"], r.json()["dietary_needs"]) == ("Talk", "vegetarian")
    assert (await client.get(f"/public/bookings/{waiter['manage_token']}")).json()[
        "status"
    ] == "confirmed"
    changed = [
        m for m in await messages(process.db, event_id=state.event_id)
        if m["type"] == "bookings.booking.changed"
    ]  # fmt: skip
    assert changed[0]["payload"]["previous_option_name"] == "Walk"
    assert changed[0]["payload"]["attendee"]["dietary_needs"] == "vegetarian"


async def test_changing_into_a_full_option_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, event_state(capacity=3, options=[("Walk", 1), ("Talk", 2)])
    )
    walk, talk = (str(o.option_id) for o in state.options)
    await _book(client, state.event_id, 1, option_id=walk)
    mover = await _book(client, state.event_id, 2, option_id=talk)
    r = await client.patch(f"/public/bookings/{mover['manage_token']}", json={"option_id": walk})
    assert (r.status_code, r.json()["code"]) == (409, "option_full")
    after = (await client.get(f"/public/bookings/{mover['manage_token']}")).json()
    assert after["option_name"] == "Talk"
