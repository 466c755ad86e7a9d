"""Where the CPU went during a run: the service's processes, PostgreSQL, RabbitMQ and wrk,
from /proc (Linux), as a share of one core.

PostgreSQL is shared with whoever else uses the machine, so its backends serving other
databases are counted apart ("postgresql, other databases"): "postgresql" is the bench
database's backends and the server's own processes (WAL writer, checkpointer...)."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int, *, single_threaded: bool = False) -> float:
    """Seconds of CPU the process used so far. For a single-threaded process (a PostgreSQL
    backend) the scheduler's own count, in nanoseconds: the smallest run's share of the
    database is a few tenths of a second, where clock ticks (10 ms) would be too coarse."""
    if single_threaded:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


_ELSEWHERE = (
    "SELECT pid FROM pg_stat_activity WHERE datname IS NOT NULL AND datname <> current_database()"
)


def backends_elsewhere(database: str) -> set[int]:
    """PostgreSQL backends connected to another database than `database` (pg_stat_activity,
    read with psql: this runs between two samples, outside any event loop)."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc",
         _ELSEWHERE],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return {int(line) for line in out.stdout.split()}


def _groups(labels: dict[int, str], elsewhere: AbstractSet[int] = frozenset()) -> dict[int, str]:
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
            found[pid] = "postgresql, other databases" if pid in elsewhere else "postgresql"
        elif comm.startswith("beam"):
            found[pid] = "rabbitmq"
        else:
            found[pid] = "other"
    return found


def _sample(
    labels: dict[int, str], elsewhere: AbstractSet[int] = frozenset()
) -> dict[int, tuple[str, float]]:
    sample = {}
    for pid, label in _groups(labels, elsewhere).items():
        try:
            sample[pid] = (label, _cpu_of(pid, single_threaded=label.startswith("postgresql")))
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


def measure(
    labels: dict[int, str], run: Callable[[], object], *, database: str | None = None
) -> tuple[object, CpuShare]:
    """Run `run()` and report the cores each group used meanwhile (`labels`: process group id
    to name; wrk is counted as the finished child processes of this one). Given `database`,
    backends of other databases are counted apart."""
    elsewhere: set[int] = backends_elsewhere(database) if database else set()
    before = _sample(labels, elsewhere)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    elsewhere |= backends_elsewhere(database) if database else set()
    after = _sample(labels, elsewhere)
    used: Counter[str] = Counter()
    for pid, (label, cpu) in after.items():
        used[label] += cpu - before.get(pid, (label, 0.0))[1]
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] += (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    return result, CpuShare(seconds, {k: v / seconds for k, v in used.items() if v > 0})
