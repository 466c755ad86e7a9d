"""The audience count alone, without sending the campaign.

    python -m bench.campaign.count [--invitees 10000] [--repeat 20] [--left-out 0.1]

A draft to a fresh roster of `--invitees`; the console's audience request repeated `--repeat`
times (after one warm-up). Reports the median and best wall time, and the CPU the
notifications process spent per count (from /proc: robust when the machine is busy, unlike
the wall time). `--left-out` opts out that fraction of the roster, so the answer carries a
list of people left out as it does in real use. Everything on 127.0.0.1, in its own vhost and
databases, removed afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
import sqlalchemy as sa
import uvloop

from bench.campaign.__main__ import STAFF, cpu_seconds, stop
from bench.campaign.setup import bench_event, declare, notifications_process, seed_roster
from services.notifications.persistence.tables import opt_outs
from shared.db import Database, make_engine
from tests.support.infra import Infra, create_infra, drop_infra


async def opt_out(infra: Infra, emails: list[str]) -> None:
    db = Database(make_engine(infra.database_urls["notifications"]), producer="bench")
    try:
        async with db.unit_of_work() as uow:
            if emails:
                await uow.execute(sa.insert(opt_outs), [{"email_key": e} for e in emails])
            await uow.commit()
    finally:
        await db.dispose()


async def bench(args: argparse.Namespace) -> dict[str, float]:
    infra = await create_infra()
    procs = []
    try:
        await declare(infra)
        procs = [notifications_process(infra, 2525, "campaign-count", SEND_RATE="0")]
        procs[0].start()
        await procs[0].wait_ready(timeout=180)  # a busy machine starts it slowly
        event = bench_event()
        cohort, emails = await seed_roster(infra, event, args.invitees)
        await opt_out(infra, sorted(emails)[: int(len(emails) * args.left_out)])
        async with httpx.AsyncClient(base_url=procs[0].url, headers=STAFF, timeout=60) as client:
            body = {
                "event_id": str(event.event_id),
                "audience": {"cohort_ids": [str(cohort)]},
                "subject": "You are invited",
            }
            created = (await client.post("/staff/campaigns", json=body)).raise_for_status()
            path = f"/staff/campaigns/{created.json()['id']}/audience"
            answer = (await client.get(path)).raise_for_status().json()  # warm-up
            times = []
            cpu_before = cpu_seconds(procs)
            for _ in range(args.repeat):
                began = time.perf_counter()
                (await client.get(path)).raise_for_status()
                times.append((time.perf_counter() - began) * 1000)
            cpu = cpu_seconds(procs) - cpu_before
    finally:
        stop(procs)
        await drop_infra(infra)
    return {
        "reaches": answer["reaches"],
        "left_out": sum(answer["left_out"].values()),
        "median_ms": statistics.median(times),
        "best_ms": min(times),
        "cpu_ms": cpu / args.repeat * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.campaign.count",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--invitees", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--left-out", type=float, default=0.0)
    args = parser.parse_args()
    found = uvloop.run(bench(args))
    print(
        f"audience count of {args.invitees} ({found['reaches']:.0f} reached, "
        f"{found['left_out']:.0f} left out): median {found['median_ms']:.0f} ms, best "
        f"{found['best_ms']:.0f} ms, notifications CPU {found['cpu_ms']:.0f} ms per count"
    )


if __name__ == "__main__":
    main()
