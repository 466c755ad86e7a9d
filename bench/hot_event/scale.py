"""The scale run (the same rush on 1,000 places at growing numbers of people, so the cost per
booking can be compared as the waiting list and the tables grow) and the spread run (the same
load over many events at once, against pgbench's ceiling for as many counter rows).

Both run on the bench's server and database, after the hot event's rushes."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from bench.hot_event import growth
from bench.hot_event.rush import Rush, rush
from bench.hot_event.stage import Server, Stage

# PostgreSQL's CPU per booking may grow by at most this much from the smallest size to the
# largest (issue 19: it doubled from 5,000 to 30,000 people).
FLAT_WITHIN = 0.15
PG = "postgresql"
HTTP = "bookings HTTP workers"
RELAY = "bookings relay process"


@dataclass
class Size:
    people: int
    rush: Rush | None  # None: skipped, it would not have fitted in the time left
    growth: growth.Growth | None = None
    reason: str = ""
    tidied: bool = False  # VACUUM (ANALYZE) ran before its rush (autovacuum is off)


async def scale_run(
    stage: Stage,
    server: Server,
    groups: dict[int, str],
    *,
    sizes: list[int],
    places: int,
    connections: int,
    budget_seconds: float,
    explain: bool,
) -> list[Size]:
    """Each size on an event of its own (`places` places), smallest first, in one database:
    the largest size meets the biggest tables too. A size is skipped when, at the rate of the
    size before it, it would not end within what is left of `budget_seconds`."""
    ran: list[Size] = []
    started = time.monotonic()
    rate = 0.0
    for people in sorted(sizes):
        left = budget_seconds - (time.monotonic() - started)
        expected = people / rate if rate else 0.0
        if left <= 0 or expected > left:
            ran.append(Size(people, None, reason=f"~{expected:,.0f} s needed, {left:,.0f} s left"))
            continue
        await stage.purge_queues()
        tidied = await stage.tidy_like_autovacuum()
        event = await stage.add_event(capacity=places, title=f"Scale {people}")
        done = await rush(
            stage, server, groups, [event.event_id],
            people=people, seconds=max(5.0, left), connections=connections,
            tag=f"s{people}{stage.tag}",
        )  # fmt: skip
        rate = done.result.rate
        seen = await growth.look(stage, event.event_id, explain=explain)
        ran.append(Size(people, done, seen, tidied=tidied))
    return ran


def report_scale(sizes: list[Size], places: int) -> bool:
    """Prints the sizes side by side; True if PostgreSQL's CPU per booking stayed flat."""
    print(f"\n  scale: the same rush on {places:,} places, one event per size, smallest first,"
          " one database")  # fmt: skip
    print(
        "    CPU per booking in ms; postgresql: all it did for the bench database, then the"
        " part that ran the HTTP workers' queries (the batch) and the relay's"
    )
    print(
        "    probe: PostgreSQL's CPU per booking (µs) for 20 batches of 15 on the event right"
        " after its rush, the machine's load aside (bench/hot_event/growth.py)"
    )
    print("       people  answers/s  p99 ms   postgresql (batch, relay)   HTTP workers   relay"
          "   probe   rows")  # fmt: skip
    measured = [s for s in sizes if s.rush is not None]
    if any(s.tidied for s in measured):
        print(
            "    the server's autovacuum is off: VACUUM (ANALYZE) ran before each size's rush"
            " and ANALYZE before its probe, as autovacuum would have"
        )
    for s in sizes:
        if s.rush is None:
            print(f"    {s.people:>9,}   skipped: {s.reason}")
            continue
        r, o = s.rush.result, s.rush.outcome
        real = set(r.statuses) == {"201"} and r.errors == 0 and o.confirmed == o.capacity
        checks = (
            f"confirmed {o.confirmed}, oversold {o.oversold}, waiting {o.waiting}, counters "
            f"agree {o.counters_agree}, positions 1..N {o.positions_ok}"
            + ("" if real else f" (NOT all 201: {r.statuses}, errors {r.errors})")
        )
        pg = (
            s.rush.cpu_ms(PG),
            s.rush.cpu_ms(f"{PG} for {HTTP}"),
            s.rush.cpu_ms(f"{PG} for {RELAY}"),
        )
        print(
            f"    {s.people:>9,}  {r.rate:>9,.0f}  {r.p99_ms:6.1f}   {pg[0]:6.3f} ({pg[1]:.3f}, "
            f"{pg[2]:.3f})   {s.rush.cpu_ms(HTTP):>12.3f}   {s.rush.cpu_ms(RELAY):5.3f}   "
            f"{s.growth.batch_us if s.growth else 0:5.0f}   {checks}"
        )
    for s in measured:
        if s.growth is not None:
            print(f"    at {s.people:,}: {s.growth.line()}")
            for plan in s.growth.plans:
                print("      " + plan.replace("\n", "\n      "))
    if len(measured) < 2:
        print("  PostgreSQL CPU per booking, largest ÷ smallest: fewer than two sizes ran")
        return True
    first, last = measured[0], measured[-1]
    assert first.rush is not None and last.rush is not None
    flat = True
    for what, label in (("all", PG), ("batch", f"{PG} for {HTTP}"), ("relay", f"{PG} for {RELAY}")):
        small, large = first.rush.cpu_ms(label), last.rush.cpu_ms(label)
        ratio = large / small if small else 0.0
        print(
            f"  PostgreSQL CPU per booking ({what}), {last.people:,} ÷ {first.people:,} people: "
            f"{ratio:.2f} (goal ≤ {1 + FLAT_WITHIN:.2f}): "
            f"{'met' if ratio <= 1 + FLAT_WITHIN else 'NOT met'}"
        )
        flat = flat and (what != "all" or ratio <= 1 + FLAT_WITHIN)
    if first.growth and last.growth and first.growth.batch_us:
        ratio = last.growth.batch_us / first.growth.batch_us
        print(
            f"  probe (batches of 15), {last.people:,} ÷ {first.people:,} people: {ratio:.2f} "
            f"(goal ≤ {1 + FLAT_WITHIN:.2f}): {'met' if ratio <= 1 + FLAT_WITHIN else 'NOT met'}"
        )
    return flat


async def spread_run(
    stage: Stage,
    server: Server,
    groups: dict[int, str],
    *,
    events: int,
    people: int,
    places: int,
    connections: int,
    seconds: float,
) -> Rush:
    """`people` over `events` events at once, the places shared out (so as many are confirmed
    and waiting as on the hot event), each request booking on the next event in turn."""
    await stage.purge_queues()
    each = max(1, places // events)
    ids: list[uuid.UUID] = []
    for n in range(events):
        ids.append((await stage.add_event(capacity=each, title=f"Spread {n}")).event_id)
    return await rush(
        stage, server, groups, ids,
        people=people, seconds=seconds, connections=connections, tag=f"x{stage.tag}",
    )  # fmt: skip


def report_spread(
    spread: Rush, events: int, hot_rate: float, ceilings: tuple[tuple[float, int], ...]
) -> None:
    (hot_tps, clients), (spread_tps, _) = ceilings
    r, o = spread.result, spread.outcome
    codes = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
    print(f"\n  spread: the same load over {events} events at once")
    print(
        f"    booking answers, {events} events  {r.rate:>9,.0f}/s   p50 {r.p50_ms:6.1f} ms   "
        f"p99 {r.p99_ms:6.1f} ms   ({r.requests} answers; {codes}; errors {r.errors})"
    )
    print(f"    during that rush, {spread.cpu.line()}")
    print(
        f"    CPU per booking (ms): postgresql {spread.cpu_ms(PG):.3f} (batch "
        f"{spread.cpu_ms(f'{PG} for {HTTP}'):.3f}, relay {spread.cpu_ms(f'{PG} for {RELAY}'):.3f}),"
        f" HTTP workers "
        f"{spread.cpu_ms(HTTP):.3f}, relay {spread.cpu_ms(RELAY):.3f}"
    )
    print(
        f"    rows: confirmed {o.confirmed} of {o.capacity}, oversold {o.oversold}, waiting "
        f"{o.waiting}, counters agree {o.counters_agree}, waiting positions 1..N "
        f"{o.positions_ok} (each event)"
    )
    print(f"    pgbench naive, {events} counter rows: {spread_tps:,.0f} tps ({clients} clients);"
          f" one row: {hot_tps:,.0f} tps")  # fmt: skip
    hot = f"{hot_rate / hot_tps:.2f}" if hot_rate else "not run"
    print(f"    bookings/s ÷ pgbench tps: spread {r.rate / spread_tps:.2f}, hot event {hot}")
