"""Outbox relay benchmark: the relay's messages/s against the broker's ceiling, same run.

    python -m bench.relay [--messages 20000] [--batch 200] [--rounds 2] [--syscalls]

Bounded (about half a minute, 127.0.0.1 only). It makes a scratch database holding only the
outbox, and a throwaway topic exchange bound to one quorum queue (the kind every consumer has),
on the machine's RabbitMQ. Then, alternately for `--rounds`:

1. **relay**: the outbox is filled with `--messages` rows (realistic envelopes, not timed), then
   `OutboxRelay.publish_batch` runs until the outbox is empty, as the relay's loop does: claim a
   batch, publish it with confirms, mark it sent. Logging at INFO, to a file, as in production.
2. **aio-pika**: a raw aio-pika publisher with confirms sends the same number of messages of
   the same size to the same exchange (and so to the same queue), `--batch` gathered at a time;
3. **broker**, the ceiling: the relay's own batched publish (`Publisher.publish_many`) of the
   same messages without the database: the broker's rate for confirmed, persistent, routed
   messages here, from the cheapest client we have. (Absent when run against code from before
   `publish_many`; then the aio-pika figure is the ceiling.)

It prints messages/s for each, relay ÷ ceiling, and the CPU µs per message of this process in
each phase (the relay's CPU includes its SQL; the broker's and the database's CPU are not
counted). `--syscalls` then drains once more under `strace -f` and counts the sends to the
broker's socket per message (strace slows the process, so that drain's rate is not reported).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aio_pika
import asyncpg
import orjson
import uvloop
from sqlalchemy import text

from shared.db import OUTBOX_INSERT, Database, make_engine
from shared.logging import configure_logging
from shared.messaging.broker import Broker
from shared.messaging.publisher import Publisher
from shared.messaging.relay import OutboxRelay
from shared.messaging.schema import messaging_metadata

HOST = "127.0.0.1"
AMQP_PORT = 5672
AMQP_URL = f"amqp://guest:guest@{HOST}:{AMQP_PORT}/"
LOG_DIR = Path(__file__).resolve().parents[2] / "var" / "bench" / "relay"


def body(n: int) -> bytes:
    # About the size of a booking's envelope: ids, an email, a name, an event's facts.
    return orjson.dumps(
        {
            "message_id": str(uuid.uuid4()),
            "type": "bookings.booking.confirmed",
            "version": 1,
            "occurred_at": "2027-01-01T12:00:00+00:00",
            "producer": "bookings",
            "correlation_id": f"c{n}",
            "payload": {
                "booking_id": str(uuid.uuid4()),
                "event_id": str(uuid.uuid4()),
                "email": f"someone{n}@example.org",
                "name": "Some One",
                "status": "confirmed",
                "options": {"dinner": "vegetarian", "workshop": "b"},
                "event": {"title": "A hot event", "starts_at": "2027-01-01T18:00:00Z"},
            },
        }
    )


@contextlib.contextmanager
def logs_to(path: Path) -> Iterator[TextIO]:
    """Our log lines go to `sys.stdout` at call time; a file stands in for the process's pipe."""
    with path.open("a") as f:
        saved, sys.stdout = sys.stdout, f
        try:
            yield f
        finally:
            sys.stdout = saved


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tag = uuid.uuid4().hex[:8]
        self.dbname = f"bench_relay_{self.tag}"
        self.exchange = f"bench-relay-{self.tag}"
        self.queue = f"bench-relay-{self.tag}"
        self.db_url = f"postgresql+asyncpg://postgres@{HOST}:5432/{self.dbname}"
        self.bodies = [body(n) for n in range(args.messages)]

    async def setup(self) -> None:
        admin = await asyncpg.connect(host=HOST, user="postgres", database="postgres")
        try:
            await admin.execute(f'CREATE DATABASE "{self.dbname}"')
        finally:
            await admin.close()
        self.db = Database(make_engine(self.db_url, pool_size=2), producer="bench")
        async with self.db.engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
        self.broker = Broker(AMQP_URL, name="bench-relay")
        self.broker.start()
        await asyncio.wait_for(self.broker.wait_connected(), 30)
        channel = await self.broker.channel(confirms=False)
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            self.queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange, "#")
        self.admin_channel = channel
        self.publisher = Publisher(self.broker, self.exchange, producer="bench")
        self.relay = OutboxRelay(self.db, self.publisher, batch_size=self.args.batch)

    async def teardown(self) -> None:
        """Whatever `setup` got as far as making, removed."""
        if hasattr(self, "admin_channel"):
            with contextlib.suppress(Exception):
                await self.admin_channel.queue_delete(self.queue)
                await self.admin_channel.exchange_delete(self.exchange)
        if hasattr(self, "broker"):
            await self.broker.close()
        if hasattr(self, "db"):
            await self.db.engine.dispose()
        admin = await asyncpg.connect(host=HOST, user="postgres", database="postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        finally:
            await admin.close()

    async def fill(self) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE outbox"))
            for start in range(0, len(self.bodies), 5000):
                chunk = self.bodies[start : start + 5000]
                params = {
                    "outbox_ids": [uuid.uuid4() for _ in chunk],
                    "outbox_keys": ["bookings.booking.confirmed"] * len(chunk),
                    "outbox_bodies": chunk,
                    "outbox_correlation": [f"c{start + n}" for n in range(len(chunk))],
                }
                await conn.execute(text(OUTBOX_INSERT), params)
        async with self.db.engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            await conn.execute(text("VACUUM ANALYZE outbox"))

    async def purge(self) -> None:
        await self.admin_channel.declare_queue(self.queue, passive=True)
        queue = await self.admin_channel.get_queue(self.queue)
        await queue.purge()

    async def drain(self) -> tuple[float, float]:
        """Seconds and CPU seconds of this process to publish the whole outbox."""
        published = 0
        with logs_to(LOG_DIR / "relay.log"):
            cpu, started = time.process_time(), time.perf_counter()
            while batch := await self.relay.publish_batch():
                published += batch
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
        if published != self.args.messages:
            raise RuntimeError(f"relay published {published} of {self.args.messages}")
        return took, cpu

    async def ceiling(self) -> tuple[float, float]:
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(self.exchange)
            window = self.args.batch
            cpu, started = time.process_time(), time.perf_counter()
            for start in range(0, len(self.bodies), window):
                await asyncio.gather(
                    *(
                        exchange.publish(
                            aio_pika.Message(
                                body,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                message_id=str(uuid.uuid4()),
                                content_type="application/json",
                            ),
                            "bookings.booking.confirmed",
                            mandatory=False,
                        )
                        for body in self.bodies[start : start + window]
                    )
                )
            return time.perf_counter() - started, time.process_time() - cpu
        finally:
            await connection.close()

    async def broker_ceiling(self) -> tuple[float, float] | None:
        """The relay's own publish path without the database: batches of `--batch` envelopes,
        each batch one write, confirms gathered per batch. None before `publish_many` existed."""
        publish_many = getattr(self.publisher, "publish_many", None)
        if publish_many is None:
            return None
        from shared.messaging.publisher import Outgoing

        items = [
            Outgoing("bookings.booking.confirmed", body, str(uuid.uuid4()), f"c{n}")
            for n, body in enumerate(self.bodies)
        ]
        cpu, started = time.process_time(), time.perf_counter()
        for start in range(0, len(items), self.args.batch):
            results = await publish_many(items[start : start + self.args.batch])
            if any(results):
                raise RuntimeError(f"not confirmed: {next(r for r in results if r)!r}")
        return time.perf_counter() - started, time.process_time() - cpu

    async def syscalls(self) -> tuple[int, int]:
        """Send-like syscalls (write, writev, sendto, sendmsg) on the broker's socket and on the
        database's sockets, for one drain."""
        strace = shutil.which("strace")
        if strace is None:
            raise RuntimeError("--syscalls needs strace")
        await self.fill()
        out = LOG_DIR / "strace.txt"
        tracer = await asyncio.create_subprocess_exec(
            *(strace, "-f", "-qq", "-e", "trace=write,writev,sendto,sendmsg"),
            *("-o", str(out), "-p", str(os.getpid())),
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(1)  # strace attaches to each thread; not a condition we can poll
        try:
            await self.drain()
            broker, database = sockets_to(AMQP_PORT), sockets_to(5432)
        finally:
            tracer.send_signal(signal.SIGINT)
            await asyncio.wait_for(tracer.wait(), 10)
        counts = {"broker": 0, "database": 0}
        call = re.compile(r"^\d+\s+(?:write|writev|sendto|sendmsg)\((\d+),")
        for line in out.read_text().splitlines():
            if match := call.match(line):
                fd = int(match.group(1))
                if fd in broker:
                    counts["broker"] += 1
                elif fd in database:
                    counts["database"] += 1
        return counts["broker"], counts["database"]


def sockets_to(port: int) -> set[int]:
    """This process's file descriptors of TCP sockets connected to `port` on the other end."""
    remote = f":{port:04X}"
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                if fields[2].endswith(remote) and fields[3] == "01":
                    inodes.add(fields[9])
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/self/fd/{fd}")
            if link.startswith("socket:[") and link[8:-1] in inodes:
                found.add(int(fd))
    return found


Runs = dict[str, list[tuple[float, float]]]  # phase -> (seconds, CPU seconds) per round


@dataclass(frozen=True)
class Figures:
    """The best round's figures, for another bench to print beside its own."""

    relay_rate: float
    ceiling_rate: float
    ceiling: str
    relay_cpu_us: float

    def line(self) -> str:
        return (
            f"relay {self.relay_rate:.0f} msg/s, ceiling ({self.ceiling}) "
            f"{self.ceiling_rate:.0f} msg/s, relay/ceiling "
            f"{self.relay_rate / self.ceiling_rate:.0%}; relay CPU {self.relay_cpu_us:.1f} µs/msg"
        )


async def rounds(bench: Bench, count: int) -> Runs:
    runs: Runs = {"relay": [], "aio-pika": [], "broker": []}
    for _ in range(count):
        await bench.fill()
        await bench.purge()
        runs["relay"].append(await bench.drain())
        await bench.purge()
        runs["aio-pika"].append(await bench.ceiling())
        await bench.purge()
        if (batched := await bench.broker_ceiling()) is not None:
            runs["broker"].append(batched)
    return runs


def best_of(runs: Runs, n: int) -> Figures:
    best = {name: min(results) for name, results in runs.items() if results}
    ceiling = "broker" if "broker" in best else "aio-pika"
    return Figures(
        relay_rate=n / best["relay"][0],
        ceiling_rate=n / best[ceiling][0],
        ceiling=ceiling,
        relay_cpu_us=min(c for _, c in runs["relay"]) / n * 1e6,
    )


async def measure(messages: int = 5000, batch: int = 200) -> Figures:
    """One bounded round (a few seconds), for `bench.hot_event` or any other bench to print
    the relay beside its ceiling: `print((await measure()).line())`."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    args = argparse.Namespace(messages=messages, batch=batch, rounds=1, syscalls=False)
    bench = Bench(args)
    try:
        await bench.setup()
        return best_of(await rounds(bench, 1), messages)
    finally:
        await bench.teardown()


async def main(args: argparse.Namespace) -> None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "relay.log").unlink(missing_ok=True)
    configure_logging("bench-relay", "INFO")
    bench = Bench(args)
    n = args.messages
    try:
        await bench.setup()
        runs = await rounds(bench, args.rounds)
        print(f"relay bench: {n} messages per run, batch {args.batch}, quorum queue, confirms")
        print("  relay = outbox drained; aio-pika = gathered exchange.publish with confirms;")
        print("  broker = the relay's batched publish without the database (the ceiling)")

        def line(name: str, took: float, cpu: float) -> str:
            return f"{name} {n / took:6.0f} msg/s {cpu / n * 1e6:5.1f} µs CPU/msg"

        for i in range(args.rounds):
            parts = [line(name, *results[i]) for name, results in runs.items() if results]
            print("  " + " | ".join(parts))
        print(f"best: {best_of(runs, n).line()}")
        if args.syscalls:
            await bench.purge()
            broker, database = await bench.syscalls()
            print(
                f"syscalls (one drain under strace): {broker / n:.3f} writes to the broker "
                f"and {database / n:.3f} to the database per message"
            )
    finally:
        await bench.teardown()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.relay")
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200, help="the relay's batch size")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--syscalls", action="store_true", help="count sends under strace")
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(parse()))
