"""One node against a three-node cluster, side by side, in the same run.

    python -m bench.cluster [--rate 100 --seconds 30] [--invitees 10000 --connections 8]
    python -m bench.cluster --short      # a quick check that it works (small numbers)

Starts a test-owned single RabbitMQ node and a test-owned three-node cluster (quorum queues
replicated on all three; tests.support.rabbit_node, the helper the fault tests use), each on its
own ports and folders, neither the machine's own broker. On each in turn, with fresh vhosts and
databases: the booking rush of bench.confirmation_latency (201 -> confirmation email at the
sink, open loop at `--rate`/s) and the campaign fan-out of bench.campaign (emails/s, throttling
off). Prints both columns and the cluster's cost, writes bench/results/cluster.json, and removes
every node. Run it on a quiet machine: a shared one moves both columns, not only one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import uvloop

from bench.campaign import __main__ as campaign
from bench.campaign.setup import LOGS
from bench.confirmation_latency import __main__ as latency
from tests.support.infra import BrokerTarget
from tests.support.rabbit_node import RabbitCluster, RabbitNode

ROWS = [
    ("booking 201 -> email p50 (ms)", "latency", "p50_ms"),
    ("booking 201 -> email p99 (ms)", "latency", "p99_ms"),
    ("booking 201 -> email max (ms)", "latency", "max_ms"),
    ("broker round trip p50 (ms)", "latency", "floor_broker_p50_ms"),
    ("confirmations missing", "latency", "missing"),
    ("confirmations duplicated", "latency", "duplicates"),
    ("campaign emails/s", "campaign", "rate"),
    ("campaign steady emails/s", "campaign", "steady_rate"),
    ("campaign missing", "campaign", "missing"),
    ("campaign duplicated", "campaign", "duplicates"),
]


async def on(broker: BrokerTarget, args: argparse.Namespace) -> dict[str, Any]:
    rush = argparse.Namespace(rate=args.rate, seconds=args.seconds, notifications=1)
    fan_out = argparse.Namespace(
        invitees=args.invitees,
        connections=args.connections,
        processes=1,
        rated=0,
        rated_invitees=0,
        timeout=args.timeout,
        env={},
    )
    found_latency = await latency.bench(rush, broker)
    found_campaign = await campaign.bench(fan_out, broker)
    service = found_campaign["service"]
    assert isinstance(service, dict)
    return {"latency": found_latency, "campaign": service}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    node = RabbitNode(prefix="bench-single")
    cluster = RabbitCluster()
    try:
        await asyncio.gather(node.start(), cluster.start())
        return {
            "settings": vars(args),
            "single node": await on(node.target(), args),
            "three-node cluster": await on(cluster.target(), args),
        }
    finally:
        await asyncio.gather(node.destroy(), cluster.destroy(), return_exceptions=True)


def table(results: dict[str, Any]) -> str:
    single, trio = results["single node"], results["three-node cluster"]
    lines = [f"{'':34}{'one node':>12}{'3-node cluster':>16}{'cluster/one':>13}"]
    for label, part, key in ROWS:
        a, b = float(single[part][key]), float(trio[part][key])
        ratio = f"{b / a:13.2f}" if a else f"{'':13}"
        lines.append(f"{label:34}{a:12.1f}{b:16.1f}{ratio}")
    settings = results["settings"]
    lines.append(
        f"(rush {settings['rate']}/s for {settings['seconds']} s; campaign of "
        f"{settings['invitees']} invitees over {settings['connections']} SMTP connections)"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=100.0, help="bookings/s of the rush")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the rush")
    parser.add_argument("--invitees", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--short", action="store_true", help="20/s for 5 s, 500 invitees")
    args = parser.parse_args()
    if args.short:
        args.rate, args.seconds, args.invitees = 20.0, 5.0, 500
    results = uvloop.run(bench(args))
    print(table(results))
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "cluster.json").write_text(json.dumps(results, indent=2, default=str))
    checks = [(p, k) for _, p, k in ROWS if k in ("missing", "duplicates")]
    lost = [results[t][p][k] for t in ("single node", "three-node cluster") for p, k in checks]
    return 0 if not any(lost) else 1


if __name__ == "__main__":
    raise SystemExit(main())
