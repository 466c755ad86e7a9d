"""Notifications' CPU per confirmation, alone: one notifications process, its vhost and
database, and the booking messages published straight to the broker (as bookings' relay
would) at a steady rate. The figure is the process's CPU (from /proc) per confirmation email,
which does not depend on what else the machine is doing, unlike the end-to-end latency.

    python -m bench.confirmation_latency.notifications_cost [--messages 2000] [--rate 100]
        [--py-spy out.raw]

`--py-spy` records the process during the load (py-spy must be installed), as collapsed
stacks, for a profile of where the CPU goes.
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
from datetime import UTC, datetime

import aio_pika
import uvloop

from bench.campaign.__main__ import cpu_seconds
from bench.campaign.setup import LOGS, bench_event, declare
from bench.campaign.sink import CountingSink
from bench.confirmation_latency.__main__ import fresh_log, percentile
from shared.contracts import BookingState, Envelope, EventState, new_envelope
from tests.support.infra import create_infra, drop_infra
from tests.support.processes import ServiceProcess


def confirmation(event: EventState, email: str) -> BookingState:
    now = datetime.now(UTC)
    return BookingState.model_validate(
        {
            "booking_id": uuid.uuid4(),
            "version": 1,
            "event_id": event.event_id,
            "event_version": event.version,
            "status": "confirmed",
            "attendee": {
                "name": "Bench Leader",
                "email": email,
                "organisation": "Bench Council",
            },
            "manage_url": f"https://bookings.example.org/manage/{uuid.uuid4().hex}",
            # As bookings writes it: the console's door page and a signed code.
            "checkin_url": f"https://console.example.org/checkin/t/{uuid.uuid4().hex}{uuid.uuid4().hex[:11]}",
            "created_at": now,
            "updated_at": now,
        }
    )


async def publish(exchange: aio_pika.abc.AbstractExchange, envelope: Envelope) -> None:
    await exchange.publish(
        aio_pika.Message(
            envelope.to_json(),
            message_id=str(envelope.message_id),
            correlation_id=envelope.correlation_id,
            type=envelope.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=envelope.type,
    )


async def wait_for_emails(sink: CountingSink, emails: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not emails <= set(sink.arrivals):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(emails - set(sink.arrivals))} emails did not arrive")
        await asyncio.sleep(0.05)


async def send_confirmations(
    exchange: aio_pika.abc.AbstractExchange, event: EventState, count: int, rate: float, tag: str
) -> dict[str, float]:
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for n in range(count):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        booking = confirmation(event, f"{tag}{n}-{uuid.uuid4().hex[:6]}@example.org")
        envelope = new_envelope("bookings.booking.confirmed", booking, producer="bench")
        await publish(exchange, envelope)
        sent[booking.attendee.email] = time.perf_counter()
    return sent


async def bench(args: argparse.Namespace) -> dict[str, object]:
    infra = await create_infra()
    sink = await CountingSink().start()
    env = {
        **infra.env_for("notifications"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
        "SMTP_PORT": str(sink.port),
    }
    proc = ServiceProcess("notifications", env, fresh_log("notifications-cost.log"))
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
            event = bench_event()
            published = new_envelope("catalogue.event.published", event, producer="bench")
            await publish(exchange, published)
            warm = await send_confirmations(exchange, event, 50, args.rate, "warm")
            await wait_for_emails(sink, set(warm), 60)
            if args.py_spy:
                assert proc.process is not None
                py_spy = shutil.which("py-spy") or "py-spy"
                # Native frames (asyncpg's Cython) need the process paused per sample.
                flags = args.spy_flags or ["--nonblocking"]
                command = [py_spy, "record", "-p", str(proc.process.pid), "-r", "250"]
                command += ["-f", "raw", "-o", args.py_spy, *flags]
                spy = subprocess.Popen(  # noqa: ASYNC220 (started once, before the load)
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                await asyncio.sleep(1)
            before = cpu_seconds([proc])
            sent = await send_confirmations(exchange, event, args.messages, args.rate, "c")
            await wait_for_emails(sink, set(sent), 120)
            used = cpu_seconds([proc]) - before
        finally:
            await connection.close()
    finally:
        if spy is not None:
            spy.send_signal(2)  # py-spy writes its file on SIGINT
            spy.wait(timeout=30)
        if proc.process and proc.process.poll() is None:
            proc.terminate(timeout=30)
        await sink.stop()
        try:
            await drop_infra(infra)
        except subprocess.SubprocessError as exc:  # a busy broker: the figures still stand
            print(f"could not drop vhost {infra.vhost} ({exc}); remove it by hand")
    latencies = [(sink.arrivals[e] - t) * 1000 for e, t in sent.items()]
    return {
        "messages": args.messages,
        "rate": args.rate,
        "cpu_ms_per_confirmation": used / args.messages * 1000,
        "duplicates": sink.duplicates(),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.confirmation_latency.notifications_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--py-spy", default=None, help="write py-spy's raw stacks here")
    parser.add_argument(
        "--native",
        dest="spy_flags",
        action="store_const",
        const=["--native"],
        default=[],
        help="py-spy also samples native (Cython, C) frames",
    )
    args = parser.parse_args()
    result = uvloop.run(bench(args))
    print(
        f"{result['messages']} confirmations at {result['rate']}/s: notifications CPU "
        f"{result['cpu_ms_per_confirmation']:.2f} ms per confirmation; published -> email "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
        f"duplicates {result['duplicates']}"
    )
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "notifications_cost.json").write_text(json.dumps(result, indent=2))
    return 0 if result["duplicates"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
