"""Catalogue's CPU per booking message, alone: one catalogue process, its vhost and database,
and booking messages published straight to the broker (as bookings' relay would) at a steady
rate, so that each arrives alone, as in the confirmation-latency bench. The figure is the
process's CPU (from /proc) per message, which does not depend on what else the machine is
doing, unlike the end-to-end latency.

    python -m bench.confirmation_latency.catalogue_cost [--messages 2000] [--rate 100]
        [--py-spy out.raw]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import time
import uuid

import aio_pika
import asyncpg
import uvloop

from bench.campaign.__main__ import cpu_seconds
from bench.campaign.setup import LOGS, declare
from bench.confirmation_latency.__main__ import fresh_log
from bench.confirmation_latency.notifications_cost import publish
from bench.consumer_drain.__main__ import booking
from shared.contracts import new_envelope
from tests.support.infra import create_infra, drop_infra
from tests.support.processes import ServiceProcess


async def tally_rows(dsn: str, event_id: uuid.UUID) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        query = "SELECT count(*) FROM booking_tally WHERE event_id = $1"
        return int(await connection.fetchval(query, event_id))
    finally:
        await connection.close()


async def send_bookings(
    exchange: aio_pika.abc.AbstractExchange, count: int, rate: float
) -> uuid.UUID:
    event_id = uuid.uuid4()
    started = time.perf_counter()
    for n in range(count):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await publish(
            exchange, new_envelope("bookings.booking.confirmed", booking(event_id), producer="b")
        )
    return event_id


async def applied(dsn: str, event_id: uuid.UUID, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (held := await tally_rows(dsn, event_id)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count - held} booking messages not applied")
        await asyncio.sleep(0.1)


async def bench(args: argparse.Namespace) -> dict[str, object]:
    infra = await create_infra()
    env = {**infra.env_for("catalogue"), "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO")}
    proc = ServiceProcess("catalogue", env, fresh_log("catalogue-cost.log"))
    dsn = infra.database_urls["catalogue"].replace("postgresql+asyncpg://", "postgresql://")
    spy: subprocess.Popen[bytes] | None = None
    try:
        await declare(infra)
        proc.start()
        await proc.wait_ready(timeout=60)
        connection = await aio_pika.connect(infra.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.declare_exchange(
                "gm.events", aio_pika.ExchangeType.TOPIC, durable=True
            )
            warm = await send_bookings(exchange, 50, args.rate)
            await applied(dsn, warm, 50, 60)
            if args.py_spy:
                assert proc.process is not None
                py_spy = shutil.which("py-spy") or "py-spy"
                command = [py_spy, "record", "-p", str(proc.process.pid), "-r", "250"]
                command += ["-f", "raw", "-o", args.py_spy, "--nonblocking"]
                spy = subprocess.Popen(  # noqa: ASYNC220 (started once, before the load)
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                await asyncio.sleep(1)
            before = cpu_seconds([proc])
            event_id = await send_bookings(exchange, args.messages, args.rate)
            await applied(dsn, event_id, args.messages, 120)
            used = cpu_seconds([proc]) - before
        finally:
            await connection.close()
    finally:
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its file on SIGINT
            spy.wait(timeout=30)
        if proc.process and proc.process.poll() is None:
            proc.terminate(timeout=30)
        try:
            await drop_infra(infra)
        except subprocess.SubprocessError as exc:  # a busy broker: the figures still stand
            print(f"could not drop vhost {infra.vhost} ({exc}); remove it by hand")
    return {
        "messages": args.messages,
        "rate": args.rate,
        "cpu_ms_per_message": used / args.messages * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.confirmation_latency.catalogue_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--py-spy", default=None, help="write py-spy's raw stacks here")
    args = parser.parse_args()
    result = uvloop.run(bench(args))
    print(
        f"{result['messages']} booking messages at {result['rate']}/s: catalogue CPU "
        f"{result['cpu_ms_per_message']:.3f} ms per message"
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "catalogue_cost.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
