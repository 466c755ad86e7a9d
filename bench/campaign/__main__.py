"""Campaign fan-out benchmark.

    python -m bench.campaign [--invitees 10000] [--connections 8] [--processes 1]
                             [--rated 200 --rated-invitees 2000]

A cohort roster of `--invitees` leaders; one campaign launched to it; the time until the SMTP
sink (in this process) has received them all, with throttling off. Reports emails/s, duplicates
and missing (both must be 0), and, in the same run, the ceiling: aiosmtplib alone handing the
same messages to the same sink over the same number of connections. Then, with the send rate
set to `--rated` emails/s, how closely a smaller campaign holds it. Everything on 127.0.0.1,
with its own vhost and databases, removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvloop

from bench.campaign.audience import audience_ms, follow_up_launch_seconds
from bench.campaign.setup import LOGS, bench_event, declare, notifications_process, seed_roster
from bench.campaign.sink import CountingSink
from tests.conftest import token
from tests.support.infra import BrokerTarget, Infra, create_infra, drop_infra
from tests.support.processes import ROOT, ServiceProcess

STAFF = {"Authorization": f"Bearer {token('staff')}"}


async def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout}s")
        await asyncio.sleep(0.01)


async def run_campaign(
    infra: Infra, sink: CountingSink, procs: list[ServiceProcess], size: int, timeout: float
) -> dict[str, float]:
    """Launch a campaign to a fresh roster of `size`; returns timings and counts."""
    event = bench_event()
    cohort, emails = await seed_roster(infra, event, size)
    sink.reset()
    async with httpx.AsyncClient(base_url=procs[0].url, headers=STAFF, timeout=60) as client:
        body = {
            "event_id": str(event.event_id),
            "audience": {"cohort_ids": [str(cohort)]},
            "subject": "You are invited",
        }
        created = (await client.post("/staff/campaigns", json=body)).raise_for_status().json()
        counted_ms = await audience_ms(client, created["id"])
        cpu_before, bench_cpu_before = cpu_seconds(procs), time.process_time()
        started = time.perf_counter()
        launched = (
            await client.post(f"/staff/campaigns/{created['id']}/launch")
        ).raise_for_status()
        launch_s = time.perf_counter() - started
        assert launched.json()["counts"]["recipients"] == size
        try:
            await wait_until(lambda: len(sink.counts) >= size, timeout, "every invitee")
        finally:
            await asyncio.sleep(1.0)  # any late duplicate would land now
        window = record_window((await client.get("/metrics")).text)
        # Counted before the follow-up, whose few emails before its cancel are not this run's.
        duplicates, missing = sink.duplicates(), sink.missing(emails)
        elapsed, arrivals, sent = (
            sink.last - started,
            sorted(sink.arrivals.values()),
            len(sink.counts),
        )
        service_cpu = cpu_seconds(procs) - cpu_before
        bench_cpu = time.process_time() - bench_cpu_before
        follow_up_s = await follow_up_launch_seconds(client, created["id"])
    return {
        "service_cpu_us_per_email": service_cpu / size * 1e6,
        "bench_cpu_us_per_email": bench_cpu / size * 1e6,
        "sent": sent,
        "seconds": elapsed,
        "rate": size / elapsed,
        "launch_seconds": launch_s,
        "audience_ms": counted_ms,
        "follow_up_launch_seconds": follow_up_s,
        "first_email_after": arrivals[0] - started if arrivals else float("nan"),
        "steady_rate": steady_rate(arrivals),
        "duplicates": duplicates,
        "missing": missing,
        **window,
    }


def record_window(metrics: str) -> dict[str, float]:
    """The crash window from `email_record_seconds` (250 -> its commit): mean and p99."""
    buckets: list[tuple[float, float]] = []
    total = count = 0.0
    for line in metrics.splitlines():
        if line.startswith("email_record_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
        elif line.startswith("email_record_seconds_sum"):
            total = float(line.rsplit(" ", 1)[1])
        elif line.startswith("email_record_seconds_count"):
            count = float(line.rsplit(" ", 1)[1])
    p99 = next((bound for bound, n in buckets if count and n >= 0.99 * count), float("nan"))
    return {
        "record_mean_ms": total / count * 1000 if count else float("nan"),
        "record_p99_ms": p99 * 1000,
        "smtp_mean_ms": mean_of(metrics, "smtp_send_seconds") * 1000,
        "wait_mean_ms": mean_of(metrics, "smtp_wait_seconds", 'priority="campaign"') * 1000,
    }


def mean_of(metrics: str, histogram: str, labels: str = "") -> float:
    """A histogram's mean from its _sum and _count lines (with `labels` in them, if given)."""
    values: dict[str, float] = {}
    for line in metrics.splitlines():
        for part in ("_sum", "_count"):
            if line.startswith(histogram + part) and labels in line:
                values[part] = float(line.rsplit(" ", 1)[1])
    count = values.get("_count", 0.0)
    return values.get("_sum", 0.0) / count if count else float("nan")


def cpu_seconds(procs: list[ServiceProcess]) -> float:
    """User + system CPU the service processes have used so far (from /proc)."""
    total = 0.0
    for proc in procs:
        assert proc.process is not None
        fields = Path(f"/proc/{proc.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def steady_rate(arrivals: list[float]) -> float:
    """Emails/s between the 10th and the 90th percentile arrival (no start-up or tail)."""
    if len(arrivals) < 20:
        return float("nan")
    low, high = arrivals[len(arrivals) // 10], arrivals[(len(arrivals) * 9) // 10]
    return ((len(arrivals) * 9) // 10 - len(arrivals) // 10) / (high - low)


async def start(procs: list[ServiceProcess]) -> None:
    for proc in procs:
        proc.start()
    for proc in procs:
        await proc.wait_ready(timeout=60)


def stop(procs: list[ServiceProcess]) -> None:
    for proc in procs:
        if proc.process and proc.process.poll() is None:
            proc.terminate(timeout=30)


def raw_ceiling(port: int, connections: int, count: int) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.campaign.raw",
            "--port",
            str(port),
            "--connections",
            str(connections),
            "--count",
            str(count),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def bench(args: argparse.Namespace, broker: BrokerTarget | None = None) -> dict[str, object]:
    """One run; on the machine's broker, or on `broker` (a test-owned node or cluster)."""
    infra = await create_infra(broker)
    sink = await CountingSink().start()
    procs: list[ServiceProcess] = []
    results: dict[str, object] = {
        "invitees": args.invitees,
        "connections": args.connections,
        "processes": args.processes,
    }
    try:
        await declare(infra)
        per_process = max(1, args.connections // args.processes)
        env = {"SEND_RATE": "0", "SMTP_CONNECTIONS": str(per_process), **args.env}
        procs = [
            notifications_process(infra, sink.port, f"campaign-{n}", **env)
            for n in range(args.processes)
        ]
        await start(procs)
        results["service"] = await run_campaign(infra, sink, procs, args.invitees, args.timeout)
        stop(procs)

        sink.reset()
        raw = await asyncio.to_thread(
            raw_ceiling, sink.port, per_process * args.processes, args.invitees
        )
        results["ceiling"] = {**raw, "received": sink.total}

        if args.rated:
            env = {**args.env, "SEND_RATE": str(args.rated), "SMTP_CONNECTIONS": str(per_process)}
            procs = [notifications_process(infra, sink.port, "campaign-rated", **env)]
            await start(procs)
            rated = await run_campaign(infra, sink, procs, args.rated_invitees, args.timeout)
            results["rated"] = {"configured": args.rated, **rated}
            stop(procs)
    finally:
        stop(procs)
        await sink.stop()
        await drop_infra(infra)
    return results


def report(results: dict[str, object]) -> None:
    service, ceiling = results["service"], results["ceiling"]
    assert isinstance(service, dict) and isinstance(ceiling, dict)
    lines = [
        f"campaign of {results['invitees']} invitees, {results['processes']} notifications "
        f"process(es), {results['connections']} SMTP connections, throttling off",
        f"  service : {service['rate']:8.0f} emails/s  ({service['seconds']:.2f} s from launch "
        f"to the last email; steady {service['steady_rate']:.0f}/s)",
        f"  ceiling : {ceiling['rate']:8.0f} emails/s  (aiosmtplib alone, same messages, "
        "same sink, same connections)",
        f"  ratio   : {service['rate'] / ceiling['rate']:8.2f}",
        f"  duplicates: {service['duplicates']}   missing: {service['missing']}",
        f"  crash window (250 -> recorded): mean {service['record_mean_ms']:.1f} ms, p99 <= "
        f"{service['record_p99_ms']:.0f} ms; emails in it at any moment ~"
        f"{service['rate'] * service['record_mean_ms'] / 1000:.1f}",
        f"  per email: SMTP transaction {service['smtp_mean_ms']:.1f} ms mean, waited for a "
        f"connection {service['wait_mean_ms']:.1f} ms mean",
        f"  CPU per email: service {service['service_cpu_us_per_email']:.0f} us, "
        f"sink and bench {service['bench_cpu_us_per_email']:.0f} us; "
        f"launch request {service['launch_seconds'] * 1000:.0f} ms",
        f"  audience count of the {results['invitees']}-person draft (who it reaches, who is "
        f"left out and why): {service['audience_ms']:.0f} ms median (target < 200 ms)",
        f'  follow-up "remind those who have not booked" launch: '
        f"{service['follow_up_launch_seconds'] * 1000:.0f} ms",
    ]
    rated = results.get("rated")
    if isinstance(rated, dict):
        error = (rated["steady_rate"] - rated["configured"]) / rated["configured"] * 100
        lines.append(
            f"throttled at {rated['configured']:.0f}/s, {rated['sent']} invitees: steady "
            f"{rated['steady_rate']:.1f}/s ({error:+.1f} %), overall {rated['rate']:.1f}/s; "
            f"duplicates {rated['duplicates']}, missing {rated['missing']}"
        )
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.campaign",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--invitees", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rated", type=float, default=200.0, help="0 skips the throttled run")
    parser.add_argument("--rated-invitees", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the notifications processes (e.g. CAMPAIGN_CHUNK_SIZE=500)",
    )
    args = parser.parse_args()
    args.env = dict(item.split("=", 1) for item in args.env)
    results = uvloop.run(bench(args))
    report(results)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "campaign.json").write_text(json.dumps(results, indent=2))
    service = results["service"]
    assert isinstance(service, dict)
    return 0 if service["duplicates"] == 0 and service["missing"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
