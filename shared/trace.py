"""Follow one correlation id through the services' JSON logs, in time order.

    python -m shared.trace <correlation-id> [LOG_FILE ...]     (no files, or -, reads stdin)

Takes plain JSON lines or lines prefixed by a process runner (`12:00:01 bookings.1 | {...}`),
from any number of services, and prints the journey: when each step happened relative to the
first, how long since the previous step, which service, and what happened.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

# What the common events mean, for a reader who does not know the code.
LABELS = {
    "http.request": "request answered",
    "outbox.published": "published (broker confirmed)",
    "message.handled": "message consumed",
    "message.duplicate_ignored": "duplicate message ignored",
    "message.retry_scheduled": "handler failed, retry scheduled",
    "message.parked": "message parked",
    "email.queued": "email queued",
    "email.sent": "email sent (SMTP accepted)",
    "email.failed": "email failed",
    "email.deferred": "email deferred (mail server away or 4xx), retried later",
    "email.claim_lost": "outcome refused: the claim was taken over by another sender",
}
DETAIL_KEYS = (
    "method",
    "route",
    "status",
    "message_type",
    "routing_key",
    "kind",
    "booking_id",
    "event_id",
    "campaign_id",
    "delivery_id",
    "recipient",
    "error",
    "duration_ms",
)


@dataclass(frozen=True)
class Step:
    at: datetime
    service: str
    event: str
    fields: dict[str, Any]


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            yield record


def journey(records: Iterable[dict[str, Any]], correlation_id: str) -> list[Step]:
    steps = [
        Step(
            at=datetime.fromisoformat(str(r["timestamp"]).replace("Z", "+00:00")),
            service=str(r.get("service", "?")),
            event=str(r.get("event", "?")),
            fields=r,
        )
        for r in records
        if r.get("correlation_id") == correlation_id and "timestamp" in r
    ]
    return sorted(steps, key=lambda step: step.at)


def render(steps: list[Step], correlation_id: str) -> str:
    if not steps:
        return f"no log lines carry correlation id {correlation_id}"
    first = steps[0].at
    services = list(dict.fromkeys(step.service for step in steps))
    total = (steps[-1].at - first).total_seconds() * 1000
    out = [
        f"correlation id {correlation_id}: {len(steps)} steps across "
        f"{', '.join(services)}; {total:.1f} ms from first to last"
    ]
    previous = first
    for step in steps:
        since_start = (step.at - first).total_seconds() * 1000
        since_previous = (step.at - previous).total_seconds() * 1000
        previous = step.at
        details = " ".join(
            f"{key}={step.fields[key]}" for key in DETAIL_KEYS if step.fields.get(key) is not None
        )
        label = LABELS.get(step.event, step.event)
        out.append(
            f"{since_start:9.1f} ms (+{since_previous:7.1f})  {step.service:<14} {label}"
            + (f"  [{details}]" if details else "")
        )
    return "\n".join(out)


def _open_all(paths: list[str]) -> Iterator[str]:
    if not paths or paths == ["-"]:
        yield from sys.stdin
        return
    for path in paths:
        handle: TextIO
        with open(path, encoding="utf-8", errors="replace") as handle:
            yield from handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.trace",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("correlation_id")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    steps = journey(parse_lines(_open_all(args.files)), args.correlation_id)
    print(render(steps, args.correlation_id))
    return 0 if steps else 1


if __name__ == "__main__":
    raise SystemExit(main())
