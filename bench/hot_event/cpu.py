"""Where the CPU went during a run: the service's processes, PostgreSQL, RabbitMQ and wrk,
from /proc (Linux), as a share of one core."""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _groups(labels: dict[int, str]) -> dict[int, str]:
    """Every process, labelled by the group it belongs to (a server's process group, or the
    database and broker by name); the rest is 'other'."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            pgid = os.getpgid(pid)
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if pgid in labels:
            found[pid] = labels[pgid]
        elif comm.startswith("postgres"):
            found[pid] = "postgresql"
        elif comm.startswith("beam"):
            found[pid] = "rabbitmq"
        else:
            found[pid] = "other"
    return found


def _sample(labels: dict[int, str]) -> dict[int, tuple[str, float]]:
    sample = {}
    for pid, label in _groups(labels).items():
        try:
            sample[pid] = (label, _cpu_of(pid))
        except OSError:
            continue
    return sample


@dataclass(frozen=True)
class CpuShare:
    seconds: float
    cores: dict[str, float]

    def line(self) -> str:
        parts = ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(self.cores.items(), key=lambda kv: -kv[1])
        )
        return f"cores used ({os.cpu_count()} in all): {parts}"


def measure(labels: dict[int, str], run: Callable[[], object]) -> tuple[object, CpuShare]:
    """Run `run()` and report the cores each group used meanwhile (`labels`: process group id
    to name; wrk is counted as the finished child processes of this one)."""
    before = _sample(labels)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    after = _sample(labels)
    used: Counter[str] = Counter()
    for pid, (label, cpu) in after.items():
        used[label] += cpu - before.get(pid, (label, 0.0))[1]
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] += (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    return result, CpuShare(seconds, {k: v / seconds for k, v in used.items() if v > 0})
