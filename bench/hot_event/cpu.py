"""Where the CPU went during a run: the service's processes, PostgreSQL, RabbitMQ and wrk,
from /proc (Linux), as a share of one core.

PostgreSQL is shared with whoever else uses the machine, so its backends serving other
databases are counted apart ("postgresql, other databases"), and the bench database's by whose
queries they run ("postgresql for bookings HTTP workers", "... for bookings relay process");
"postgresql" is the rest: the server's own processes (WAL writer, checkpointer...) and the
bench's own connections."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections import Counter
from collections.abc import Callable
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


ELSEWHERE = "postgresql, other databases"


def postgresql(cores: dict[str, float]) -> float:
    """PostgreSQL's share for the bench database: every label of it but other databases'."""
    return sum(v for k, v in cores.items() if k.startswith("postgresql") and k != ELSEWHERE)


_BACKENDS = (
    "SELECT pid, datname = current_database(), client_port FROM pg_stat_activity"
    " WHERE datname IS NOT NULL"
)


def backends(database: str, labels: dict[int, str]) -> dict[int, str]:
    """PostgreSQL's backends labelled: those of other databases than `database` apart, and
    each of `database`'s by the process group at the other end of its connection ("postgresql
    for bookings relay process"), found through the client's port and socket. Read with psql:
    this runs between two samples, outside any event loop."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-AtF", " ", "-c",
         _BACKENDS],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    owners = _socket_owners(labels)
    found = {}
    for line in out.stdout.splitlines():
        pid, ours, port = [*line.split(), ""][:3]
        if ours != "t":
            found[int(pid)] = ELSEWHERE
        elif port and int(port) in owners:
            found[int(pid)] = f"postgresql for {owners[int(port)]}"
    return found


def _socket_owners(labels: dict[int, str]) -> dict[int, str]:
    """Local TCP port -> label, for the sockets the labelled process groups hold."""
    inodes: dict[str, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            label = labels.get(os.getpgid(int(entry)))
            if label is None:
                continue
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes[target[8:-1]] = label
        except OSError:
            continue
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                fields = row.split()
                if fields[9] in inodes:
                    ports[int(fields[1].rsplit(":", 1)[1], 16)] = inodes[fields[9]]
    return ports


def _groups(labels: dict[int, str], backends: dict[int, str]) -> dict[int, str]:
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
            found[pid] = backends.get(pid, "postgresql")
        elif comm.startswith("beam"):
            found[pid] = "rabbitmq"
        else:
            found[pid] = "other"
    return found


def _sample(labels: dict[int, str], backends: dict[int, str]) -> dict[int, tuple[str, float]]:
    sample = {}
    for pid, label in _groups(labels, backends).items():
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
    PostgreSQL's backends are labelled as `backends` says."""
    seen = backends(database, labels) if database else {}
    before = _sample(labels, seen)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    seen |= backends(database, labels) if database else {}
    after = _sample(labels, seen)
    used: Counter[str] = Counter()
    for pid, (label, cpu) in after.items():
        used[label] += cpu - before.get(pid, (label, 0.0))[1]
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] += (done.ru_utime + done.ru_stime) - (children.ru_utime + children.ru_stime)
    return result, CpuShare(seconds, {k: v / seconds for k, v in used.items() if v > 0})
