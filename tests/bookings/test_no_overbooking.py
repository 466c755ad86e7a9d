"""No overbooking, proven with two bookings processes (real OS processes) deciding at once:
400 people for 100 places in options of 30/30/40, then 50 cancellations; the same with two
option groups (one optional) and changes of one group's choice racing the bookings; and one
booking for 20 copies of one request with the same Idempotency-Key, across both processes."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
import sqlalchemy as sa

from services.bookings.process import BookingsProcess
from tests.bookings.conftest import event_state, messages, person, put_event
from tests.support.infra import Infra
from tests.support.processes import ServiceProcess


@pytest_asyncio.fixture(loop_scope="session")
async def two_processes(infra: Infra, tmp_path: Path) -> AsyncIterator[list[httpx.AsyncClient]]:
    procs = [
        ServiceProcess(
            "bookings",
            {**infra.env_for("bookings"), "RATE_LIMIT_ENABLED": "false"},
            tmp_path / f"bookings-{n}.log",
        ).start()
        for n in range(2)
    ]
    try:
        await asyncio.gather(*(p.wait_ready() for p in procs))
        limits = httpx.Limits(max_connections=200)
        clients = [httpx.AsyncClient(base_url=p.url, timeout=30, limits=limits) for p in procs]
        yield clients
        for client in clients:
            await client.aclose()
    finally:
        for p in procs:
            p.terminate()


async def _rows(process: BookingsProcess, event_id: uuid.UUID) -> list[sa.Row]:
    async with process.db.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    sa.text(
                        "SELECT id, status, option_ids[1] AS option_id, option_ids, waitlist_seq "
                        "FROM bookings "
                        "WHERE event_id = :e ORDER BY waitlist_seq"
                    ),
                    {"e": event_id},
                )
            ).all()
        )


async def test_400_people_100_places_then_50_cancellations(
    two_processes: list[httpx.AsyncClient], process: BookingsProcess
) -> None:
    state = await put_event(
        process.db,
        process.settings,
        event_state(capacity=100, options=[("Walk", 30), ("Talk", 30), ("Dine", 40)]),
    )
    options = [o.option_id for o in state.options]
    url = f"/public/events/{state.event_id}/bookings"
    answers = await asyncio.gather(
        *(
            two_processes[n % 2].post(url, json=person(n, option_id=str(options[n % 3])))
            for n in range(400)
        )
    )
    assert {r.status_code for r in answers} == {201}
    statuses = Counter(r.json()["status"] for r in answers)
    assert statuses == {"confirmed": 100, "waitlisted": 300}
    positions = sorted(
        r.json()["waitlist_position"] for r in answers if r.json()["waitlist_position"]
    )
    assert positions == list(range(1, 301))
    rows = await _rows(process, state.event_id)
    confirmed = Counter(r.option_id for r in rows if r.status == "confirmed")
    assert confirmed == {options[0]: 30, options[1]: 30, options[2]: 40}

    # 50 cancellations at once, across both processes, of confirmed bookings in all options.
    tokens = {r.json()["booking_id"]: r.json()["manage_token"] for r in answers}
    to_cancel = [r for r in rows if r.status == "confirmed"][:50]
    cancelled = await asyncio.gather(
        *(
            two_processes[n % 2].post(f"/public/bookings/{tokens[str(r.id)]}/cancel")
            for n, r in enumerate(to_cancel)
        )
    )
    assert {r.status_code for r in cancelled} == {200}
    after = await _rows(process, state.event_id)
    freed = Counter(r.option_id for r in to_cancel)
    waiting_before = defaultdict(list)
    for r in rows:
        if r.status == "waitlisted":
            waiting_before[r.option_id].append(r.id)
    status_after = {r.id: r.status for r in after}
    promoted = {r.id for r in after if r.status == "confirmed"} - {
        r.id for r in rows if r.status == "confirmed"
    }
    assert len(promoted) == 50
    for option_id, n in freed.items():
        # Exactly the first n people waiting for that option, nobody behind them.
        assert {b for b in waiting_before[option_id][:n]} <= promoted
        assert all(status_after[b] == "waitlisted" for b in waiting_before[option_id][n:])
    assert Counter(r.option_id for r in after if r.status == "confirmed") == confirmed
    # ...and promoted in their order: within each option, message order follows the queue.
    seq = {r.id: r.waitlist_seq for r in rows}
    option_of = {r.id: r.option_id for r in rows}
    sent = [
        uuid.UUID(m["payload"]["booking_id"])
        for m in await messages(process.db, event_id=state.event_id)
        if m["type"] == "bookings.booking.promoted"
    ]
    assert set(sent) == promoted
    for option_id in freed:
        in_option = [seq[b] for b in sent if option_of[b] == option_id]
        assert in_option == sorted(in_option)


async def test_two_option_groups_under_load_never_exceed_any_option(
    two_processes: list[httpx.AsyncClient], process: BookingsProcess
) -> None:
    state = await put_event(
        process.db,
        process.settings,
        event_state(
            capacity=100,
            groups=[
                ("Dinner activity", True, [("Walk", 30), ("Talk", 30), ("Dine", 45)]),
                ("Workshop slot", False, [("Morning", 20), ("Afternoon", 25)]),
            ],
        ),
    )
    dinner = [o.option_id for o in state.options[:3]]
    workshop = [o.option_id for o in state.options[3:]]
    workshop_group = state.option_groups[1].group_id
    caps = {o.option_id: o.capacity for o in state.options}
    url = f"/public/events/{state.event_id}/bookings"

    def choice(n: int) -> list[str]:
        # Every third person leaves the optional workshop at "none".
        picked = [dinner[n % 3]] + ([workshop[n % 2]] if n % 3 else [])
        return [str(o) for o in picked]

    first = await asyncio.gather(
        *(two_processes[n % 2].post(url, json=person(n, option_ids=choice(n))) for n in range(200))
    )
    assert {r.status_code for r in first} == {201}
    tokens = [r.json()["manage_token"] for r in first]
    # Now more bookings race workshop changes (one group) and cancellations of the first ones.
    racing = [
        *(
            two_processes[n % 2].post(url, json=person(n, option_ids=choice(n)))
            for n in range(200, 400)
        ),
        *(
            two_processes[n % 2].patch(
                f"/public/bookings/{tokens[n]}",
                json={
                    "choices": {str(workshop_group): str(workshop[(n + 1) % 2]) if n % 4 else None}
                },
            )
            for n in range(0, 120)
        ),
        *(
            two_processes[n % 2].post(f"/public/bookings/{tokens[n]}/cancel")
            for n in range(120, 160)
        ),
    ]
    answers = await asyncio.gather(*racing)
    assert {r.status_code for r in answers[:200]} == {201}
    # A change is applied or refused as full; never an error.
    assert {r.status_code for r in answers[200:320]} <= {200, 409}
    assert {r.json()["code"] for r in answers[200:320] if r.status_code == 409} <= {"option_full"}
    assert {r.status_code for r in answers[320:]} == {200}

    rows = await _rows(process, state.event_id)
    active = [r for r in rows if r.status in ("confirmed", "waitlisted")]
    confirmed = [r for r in active if r.status == "confirmed"]
    assert len(confirmed) <= 100
    held = Counter(o for r in confirmed for o in r.option_ids)
    assert all(held[o] <= caps[o] for o in caps), held
    # One dinner each (required), at most one workshop slot.
    assert all(len(set(r.option_ids) & set(dinner)) == 1 for r in active)
    assert all(len(set(r.option_ids) & set(workshop)) <= 1 for r in active)
    # The changed ones kept their dinner.
    changed = {r.json()["booking_id"]: r.json() for r in answers[200:320] if r.status_code == 200}
    for n, r in enumerate(first[:120]):
        if r.json()["booking_id"] in changed:
            names = [c["option_name"] for c in changed[r.json()["booking_id"]]["choices"]]
            assert names[0] == ("Walk", "Talk", "Dine")[n % 3]
    # The counters agree with the rows, per event and per option.
    async with process.db.engine.connect() as conn:
        event = (
            await conn.execute(
                sa.text("SELECT confirmed, waiting FROM event_replicas WHERE event_id = :e"),
                {"e": state.event_id},
            )
        ).one()
        options = (
            await conn.execute(
                sa.text(
                    "SELECT option_id, confirmed, waiting FROM event_options WHERE event_id = :e"
                ),
                {"e": state.event_id},
            )
        ).all()
    assert (event.confirmed, event.waiting) == (len(confirmed), len(active) - len(confirmed))
    waiting = Counter(o for r in active if r.status == "waitlisted" for o in r.option_ids)
    for o in options:
        assert (o.confirmed, o.waiting) == (held[o.option_id], waiting[o.option_id])
    # Nobody waits while every option they chose has more free places than people waiting
    # for it: promotion kept up with the cancellations and changes.
    free = {o: caps[o] - held[o] for o in caps}
    if len(confirmed) < 100:
        stuck = [
            r
            for r in active
            if r.status == "waitlisted" and all(free[o] > waiting[o] for o in r.option_ids)
        ]
        assert stuck == []


async def test_20_identical_requests_with_one_key_make_one_booking(
    two_processes: list[httpx.AsyncClient], process: BookingsProcess
) -> None:
    state = await put_event(process.db, process.settings, event_state(capacity=5))
    url = f"/public/events/{state.event_id}/bookings"
    who, key = person(1), str(uuid.uuid4())
    answers = await asyncio.gather(
        *(
            two_processes[n % 2].post(url, json=who, headers={"Idempotency-Key": key})
            for n in range(20)
        )
    )
    assert {r.status_code for r in answers} == {201}
    assert len({r.text for r in answers}) == 1
    assert len(await _rows(process, state.event_id)) == 1
    assert len(await messages(process.db, event_id=state.event_id)) == 1
    other = await two_processes[0].post(
        url, json={**who, "name": "Someone Else"}, headers={"Idempotency-Key": key}
    )
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    again = await two_processes[1].post(url, json=who, headers={"Idempotency-Key": key})
    assert (again.status_code, again.text) == (201, answers[0].text)


async def test_a_refusal_is_repeated_for_its_key_too(
    two_processes: list[httpx.AsyncClient], process: BookingsProcess
) -> None:
    state = await put_event(
        process.db, process.settings, event_state(capacity=0, waitlist_enabled=False)
    )
    url = f"/public/events/{state.event_id}/bookings"
    key, who = str(uuid.uuid4()), person(1)
    first = await two_processes[0].post(url, json=who, headers={"Idempotency-Key": key})
    again = await two_processes[1].post(url, json=who, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 409
    assert first.json() == again.json()
