"""Follow one correlation id through the services' JSON logs, in time order.

    python -m shared.trace <correlation-id> [LOG_FILE ...]     (no files, or -, reads stdin)
    python -m shared.trace <correlation-id> --kubectl [-n NAMESPACE] [-l SELECTOR]

Takes plain JSON lines, lines prefixed by a process runner (`12:00:01 bookings.1 | {...}`), or
`kubectl logs` output with or without `--prefix` (`[pod/bookings-5d8f/bookings] {...}`) and
`--timestamps` (`2026-11-26T12:00:00.123456789Z {...}`), from any number of services and
pods, and prints the journey: when each step happened relative to the first, how long since
the previous step, which service (and pod), and what happened. `--kubectl` runs
`kubectl logs --prefix --timestamps` over every pod the selector finds.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
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
    "pod",
)
# `kubectl logs --prefix`: `[pod/NAME/CONTAINER] `; `--timestamps`: an RFC 3339 time and a space.
_KUBECTL_PREFIX = re.compile(r"^\[(?:pod/)?(?P<pod>[^/\]\s]+)(?:/[^\]\s]*)?\]\s+")
_KUBECTL_TIME = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s+"
)
DEFAULT_SELECTOR = "app in (catalogue,bookings,notifications,console)"


@dataclass(frozen=True)
class Step:
    at: datetime
    service: str
    event: str
    fields: dict[str, Any]


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        pod = at = None
        if match := _KUBECTL_PREFIX.match(line):
            pod, line = match["pod"], line[match.end() :]
        if match := _KUBECTL_TIME.match(line):
            at, line = match["at"], line[match.end() :]
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            if pod and "pod" not in record:
                record["pod"] = pod
            if at and "timestamp" not in record:
                record["timestamp"] = at
            yield record


def parse_time(value: object) -> datetime:
    """ISO 8601 with `Z` and up to nanoseconds (kubectl's), to the microsecond."""
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text))


def journey(records: Iterable[dict[str, Any]], correlation_id: str) -> list[Step]:
    steps = [
        Step(
            at=parse_time(r["timestamp"]),
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


def kubectl_logs(namespace: str, selector: str) -> Iterator[str]:
    """Every line of every pod the selector finds, as `kubectl logs --prefix --timestamps`."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl is not on PATH")
    cmd = [kubectl, "logs", "--namespace", namespace, "--selector", selector, "--prefix",
           "--timestamps", "--all-containers", "--tail=-1", "--max-log-requests=50"]  # fmt: skip
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, errors="replace") as process:
        assert process.stdout is not None
        yield from process.stdout
    if process.returncode:
        raise SystemExit(f"kubectl logs failed with exit code {process.returncode}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.trace",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("correlation_id")
    parser.add_argument("files", nargs="*")
    parser.add_argument("--kubectl", action="store_true", help="read the pods' logs with kubectl")
    parser.add_argument("-n", "--namespace", default="gm-programme")
    parser.add_argument("-l", "--selector", default=DEFAULT_SELECTOR)
    args = parser.parse_args(argv)
    if args.kubectl and args.files:
        parser.error("--kubectl reads the cluster; give no files with it")
    lines = kubectl_logs(args.namespace, args.selector) if args.kubectl else _open_all(args.files)
    steps = journey(parse_lines(lines), args.correlation_id)
    print(render(steps, args.correlation_id))
    return 0 if steps else 1


if __name__ == "__main__":
    raise SystemExit(main())
