"""Measuring: wrk runs, the database's own ceiling (pgbench), and what the rush left behind."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

HERE = Path(__file__).resolve().parent
# `make bench-hot-event` installs it (Debian package wrk) when it is missing.
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    timeouts: int
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    *,
    script: str,
    seconds: float,
    connections: int,
    threads: int = 2,
    args: tuple[str, ...] = (),
) -> WrkResult:
    """Run wrk for at most `seconds` and parse its JSON line. With book.lua, each thread stops
    at its quota and leaves a marker; once all have, wrk is interrupted (it then reports)."""
    with tempfile.TemporaryDirectory() as markers:
        cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        cmd += ["--timeout", "10s", "-s", str(HERE / script), url]
        if args:
            cmd += ["--", *args, markers]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + seconds + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if args and len(os.listdir(markers)) >= threads:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        stdout, stderr = proc.communicate(timeout=max(1, deadline - time.monotonic()))
    if proc.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"wrk failed ({proc.returncode}): {stderr}")
    line = next(x for x in stdout.splitlines() if x.startswith("WRK_RESULT "))
    data: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=data["errors"],
        timeouts=data["timeouts"],
        statuses=data["statuses"],
    )


# Each transaction picks one of the counter rows at random (one row: the hot event).
_NAIVE = """\
\\set id random(1, {rows})
BEGIN;
SELECT n FROM bench_counter WHERE id = :id FOR UPDATE;
UPDATE bench_counter SET n = n + 1 WHERE id = :id;
INSERT INTO bench_rows (payload) VALUES ('a booking');
COMMIT;
"""


async def pgbench_ceiling(*, clients: int, seconds: int, rows: int = 1) -> tuple[float, int]:
    """The database's rate for the naive shape (lock one counter row, bump it, insert a row,
    commit), in a scratch database of its own: what a one-lock-per-booking design tops at.
    With `rows` counters (one per event), each transaction locks one of them at random: the
    same load spread over that many events. Returns (tps, clients used): fewer clients when
    others hold the server's connections."""
    name = f"bench_pg_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    try:
        free = await admin.fetchval(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        )
        clients = max(1, min(clients, free - 10))
        await admin.execute(f'CREATE DATABASE "{name}"')
        scratch = await asyncpg.connect(host="127.0.0.1", user="postgres", database=name)
        await scratch.execute(
            "CREATE TABLE bench_counter (id int PRIMARY KEY, n int NOT NULL);"
            f"INSERT INTO bench_counter SELECT i, 0 FROM generate_series(1, {rows}) i;"
            "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text,"
            " created_at timestamptz NOT NULL DEFAULT now());"
        )
        await scratch.close()
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(_NAIVE.format(rows=rows))
            script.flush()
            out = await asyncio.to_thread(
                subprocess.run,
                ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", f"-c{clients}", "-j2",
                 f"-T{seconds}", "-f", script.name, name],
                check=False, capture_output=True, text=True, timeout=seconds + 60,
            )  # fmt: skip
        match = re.search(r"tps = ([0-9.]+)", out.stdout)
        if match is None:
            raise RuntimeError(f"pgbench failed: {out.stderr[-1000:]}")
        return float(match.group(1)), clients
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass(frozen=True)
class Outcome:
    capacity: int
    confirmed: int
    waiting: int
    counters_agree: bool
    positions_ok: bool
    outbox_rows: int
    outbox_unpublished: int
    # Per option (an event of option groups): confirmed beyond the option's places, and
    # whether its counters agree with the rows.
    options_oversold: int = 0
    option_counters_agree: bool = True

    @property
    def oversold(self) -> int:
        return max(0, self.confirmed - self.capacity) + self.options_oversold


async def outcome(database: str, event_id: uuid.UUID, *, drain_seconds: float = 15) -> Outcome:
    """Counted from the rows themselves, not from the counters the service keeps; first given
    the relay up to `drain_seconds` to publish what the rush wrote to the outbox."""
    return (await outcomes(database, [event_id], drain_seconds=drain_seconds))[0]


async def outcomes(
    database: str, event_ids: list[uuid.UUID], *, drain_seconds: float = 15
) -> list[Outcome]:
    """`outcome` of each event, after one wait for the outbox to drain."""
    conn = await asyncpg.connect(host="127.0.0.1", user="postgres", database=database)
    try:
        deadline = time.monotonic() + drain_seconds
        unsent = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        while time.monotonic() < deadline:
            if not await conn.fetchval(unsent):
                break
            await asyncio.sleep(0.2)
        outbox, unpublished = await conn.fetchrow(
            "SELECT count(*), count(*) FILTER (WHERE published_at IS NULL) FROM outbox"
        )
        return [await _outcome(conn, e, outbox, unpublished) for e in event_ids]
    finally:
        await conn.close()


def combined(parts: list[Outcome]) -> Outcome:
    """Several events' outcomes as one: sums, and every check held by every event (oversold
    counted per event, so one event's spare places do not hide another's overbooking)."""
    return Outcome(
        capacity=sum(o.capacity for o in parts),
        confirmed=sum(min(o.confirmed, o.capacity) for o in parts),
        waiting=sum(o.waiting for o in parts),
        counters_agree=all(o.counters_agree for o in parts),
        positions_ok=all(o.positions_ok for o in parts),
        outbox_rows=parts[0].outbox_rows,
        outbox_unpublished=parts[0].outbox_unpublished,
        options_oversold=sum(o.oversold for o in parts),
        option_counters_agree=all(o.option_counters_agree for o in parts),
    )


async def _outcome(
    conn: asyncpg.Connection, event_id: uuid.UUID, outbox: int, unpublished: int
) -> Outcome:
    capacity, confirmed_n, waiting_n = await conn.fetchrow(
        "SELECT capacity, confirmed, waiting FROM event_replicas WHERE event_id = $1", event_id
    )
    counts = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM bookings WHERE event_id = $1 GROUP BY status",
            event_id,
        )
    )
    seqs = [
        r[0]
        for r in await conn.fetch(
            "SELECT waitlist_seq FROM bookings WHERE event_id = $1 AND status = 'waitlisted'"
            " ORDER BY waitlist_seq",
            event_id,
        )
    ]
    options = await conn.fetch(
        "SELECT o.capacity, o.confirmed, o.waiting,"
        " (SELECT count(*) FROM bookings b WHERE b.event_id = o.event_id"
        "   AND b.status = 'confirmed' AND o.option_id = ANY(b.option_ids)),"
        " (SELECT count(*) FROM bookings b WHERE b.event_id = o.event_id"
        "   AND b.status = 'waitlisted' AND o.option_id = ANY(b.option_ids))"
        " FROM event_options o WHERE o.event_id = $1",
        event_id,
    )
    confirmed, waiting = counts.get("confirmed", 0), counts.get("waitlisted", 0)
    return Outcome(
        capacity=capacity,
        confirmed=confirmed,
        waiting=waiting,
        counters_agree=(confirmed_n, waiting_n) == (confirmed, waiting),
        positions_ok=seqs == list(range(1, len(seqs) + 1)),
        outbox_rows=outbox,
        outbox_unpublished=unpublished,
        options_oversold=sum(max(0, rows - cap) for cap, _, _, rows, _ in options),
        option_counters_agree=all((c, w) == (rc, rw) for _, c, w, rc, rw in options),
    )
