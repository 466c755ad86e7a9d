"""Confirmation latency benchmark.

    python -m bench.confirmation_latency [--rate 100] [--seconds 30]

Catalogue, bookings (the minimal service as it is on main) and notifications run as processes
on their own vhost and databases; an event is published through the catalogue; then bookings are
made at a steady `--rate` per second for `--seconds`, open loop (each at its scheduled moment,
whatever the previous answers did). For each booking: the time from its 201 to its
confirmation email arriving at the SMTP sink in this process. Reports p50/p90/p99/max,
missing and duplicate emails, and the floor measured in the same run (a broker round trip and
an SMTP send at the same pace). Goal: p50 <= 50 ms, p99 <= 250 ms at 100 bookings/s for 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvloop

from bench.campaign.__main__ import cpu_seconds
from bench.campaign.setup import LOGS, declare
from bench.campaign.sink import CountingSink
from bench.confirmation_latency.floor import broker_round_trips, smtp_sends
from bench.confirmation_latency.http import KeepAliveClient
from shared.messaging.addresses import parse_amqp_urls
from tests.conftest import token
from tests.support.infra import BrokerTarget, Infra, create_infra, drop_infra
from tests.support.processes import ServiceProcess

STAFF = {"Authorization": f"Bearer {token('staff')}"}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fresh_log(name: str) -> Path:
    path = Path(LOGS / name)
    path.unlink(missing_ok=True)  # processes append to their log: one run per file
    return path


def services(infra: Infra, smtp_port: int, notifications: int) -> dict[str, ServiceProcess]:
    LOGS.mkdir(parents=True, exist_ok=True)
    # INFO, as production runs: every line a booking causes is part of its cost.
    level = os.environ.get("BENCH_LOG_LEVEL", "INFO")
    made = {}
    for name in ("catalogue", "bookings"):
        # Every booking here comes from one address; real bookers come from many, so the
        # per-client rate limit is off (it has its own tests).
        env = {**infra.env_for(name), "LOG_LEVEL": level, "RATE_LIMIT_ENABLED": "false"}
        made[name] = ServiceProcess(name, env, fresh_log(f"latency-{name}.log"))
    for n in range(notifications):
        env = {**infra.env_for("notifications"), "LOG_LEVEL": level, "SMTP_PORT": str(smtp_port)}
        label = "notifications" if n == 0 else f"notifications-{n + 1}"
        made[label] = ServiceProcess("notifications", env, fresh_log(f"latency-{label}.log"))
    return made


async def published_event(client: httpx.AsyncClient, procs: dict[str, ServiceProcess]) -> str:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    body = {
        "title": "Adaptive Leadership masterclass",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "capacity": 100_000,
    }
    catalogue = procs["catalogue"].url
    created = (await client.post(f"{catalogue}/staff/events", json=body, headers=STAFF)).json()
    await client.post(f"{catalogue}/staff/events/{created['id']}/publish", headers=STAFF)
    return str(created["id"])


STATUSES: Counter[str] = Counter()


async def book(client: KeepAliveClient, path: str, email: str, answered: dict[str, float]) -> None:
    """Record when the 201 came back; a failed request just has no 201 (counted in the report)."""
    body = json.dumps({"name": "Bench Leader", "email": email, "organisation": "Bench Council"})
    try:
        status = await client.post_json(path, body.encode())
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        STATUSES[type(exc).__name__] += 1
        return
    STATUSES[str(status)] += 1
    if status == 201:
        answered[email] = time.perf_counter()


async def warm_up(client: KeepAliveClient, url: str, sink: CountingSink) -> None:
    """Until a booking's email comes back: every service has the event and is consuming."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        email = f"warm-{uuid.uuid4().hex[:8]}@example.org"
        await book(client, url, email, {})
        for _ in range(40):
            if email in sink.arrivals:
                return
            await asyncio.sleep(0.05)
    raise TimeoutError("the system did not deliver a warm-up booking's email")


async def load(
    client: KeepAliveClient, url: str, rate: float, seconds: float
) -> tuple[dict[str, float], set[str]]:
    answered: dict[str, float] = {}
    emails = {f"b{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(int(rate * seconds))}
    started = time.perf_counter()
    tasks = []
    for n, email in enumerate(sorted(emails)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(book(client, url, email, answered)))
    await asyncio.gather(*tasks)
    return answered, emails


async def bench(args: argparse.Namespace, broker: BrokerTarget | None = None) -> dict[str, object]:
    """One run; on the machine's broker, or on `broker` (a test-owned node or cluster)."""
    infra = await create_infra(broker)
    sink = await CountingSink().start()
    procs = services(infra, sink.port, args.notifications)
    try:
        await declare(infra)
        for proc in procs.values():
            proc.start()
        for proc in procs.values():
            await proc.wait_ready(timeout=60)
        async with httpx.AsyncClient(timeout=30) as client:
            event_id = await published_event(client, procs)
        path = f"/public/events/{event_id}/bookings"
        booker = KeepAliveClient("127.0.0.1", procs["bookings"].port)
        try:
            await warm_up(booker, path, sink)
            cpu_before = {name: cpu_seconds([proc]) for name, proc in procs.items()}
            STATUSES.clear()
            answered, emails = await load(booker, path, args.rate, args.seconds)
        finally:
            await booker.close()
        for _ in range(600):  # at most a minute for the last emails
            if set(answered) <= set(sink.arrivals):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # a late duplicate would land now
        cpu = {
            name: (cpu_seconds([proc]) - cpu_before[name]) / len(emails) * 1000
            for name, proc in procs.items()
        }
        latencies = [
            max(0.0, sink.arrivals[e] - answered[e]) for e in answered if e in sink.arrivals
        ]
        pace = 1 / args.rate
        # The floor goes to one node (the first, when AMQP_URL lists a cluster's).
        floor = await broker_round_trips(parse_amqp_urls(infra.amqp_url)[0], 300, pace)
        smtp = await smtp_sends(sink.port, 300, pace)
    finally:
        for proc in procs.values():
            if proc.process and proc.process.poll() is None:
                proc.terminate(timeout=30)
        await sink.stop()
        await drop_infra(infra)
    ms = [v * 1000 for v in latencies]
    return {
        "rate": args.rate,
        "seconds": args.seconds,
        "bookings": len(emails),
        "answered_201": len(answered),
        "emails": len(latencies),
        "missing": len(set(answered) - set(sink.arrivals)),
        "duplicates": sum(sink.counts[e.lower()] - 1 for e in emails if sink.counts[e.lower()] > 1),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else float("nan"),
        "floor_broker_p50_ms": percentile([v * 1000 for v in floor], 50),
        "floor_broker_p99_ms": percentile([v * 1000 for v in floor], 99),
        "floor_smtp_p50_ms": percentile([v * 1000 for v in smtp], 50),
        "floor_smtp_p99_ms": percentile([v * 1000 for v in smtp], 99),
        "cpu_ms_per_booking": cpu,
        "answers": dict(STATUSES),
    }


def report(r: dict[str, object]) -> None:
    print(
        f"{r['bookings']} bookings at {r['rate']}/s for {r['seconds']} s: "
        f"answers {r['answers']}, {r['emails']} confirmation emails, "
        f"missing {r['missing']}, duplicates {r['duplicates']}"
    )
    if set(r["answers"]) != {"201"}:  # type: ignore[call-overload]
        print("  answers other than 201: these latencies do not stand for the full load")
    print(
        f"  201 -> email at the sink: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, "
        f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms   (goal: p50 <= 50, p99 <= 250)"
    )
    print(
        f"  floor, same run: broker round trip p50 {r['floor_broker_p50_ms']:.1f} / "
        f"p99 {r['floor_broker_p99_ms']:.1f} ms; SMTP send p50 {r['floor_smtp_p50_ms']:.1f} / "
        f"p99 {r['floor_smtp_p99_ms']:.1f} ms (an email needs two broker hops and one send)"
    )
    cpu = r["cpu_ms_per_booking"]
    assert isinstance(cpu, dict)
    print("  CPU per booking: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items()))


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.confirmation_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--notifications", type=int, default=1, help="notifications processes sharing the queues"
    )
    args = parser.parse_args()
    results = uvloop.run(bench(args))
    report(results)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "confirmation_latency.json").write_text(json.dumps(results, indent=2))
    return 0 if results["missing"] == 0 and results["duplicates"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
