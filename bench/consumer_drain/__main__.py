"""The consumer runner's own cost: CPU per message while catalogue's tally consumer drains a
queue that already holds N booking events.

    python -m bench.consumer_drain [--messages 3000] [--one-by-one] [--rate R]
        [--profile out.prof]

The messages are published first, then the consumer starts in this process; what is measured
is this process's CPU from the consumer's start until the tally
holds every booking, divided by N. CPU, not wall time, so a busy machine changes little.
`--one-by-one` runs the same consumer without its batch handler: the cost of a message that
arrives alone at an idle consumer (a quiet queue) rather than into a busy one.
`--rate R` starts the consumer first and publishes R messages a second while it runs, from a
thread of its own: each message then arrives alone, as in the confirmation-latency bench
(100 bookings/s), and what is measured is the consumer thread's CPU alone.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import aio_pika
import sqlalchemy as sa

from services.catalogue.consumers import consumers
from services.catalogue.persistence.tables import booking_tally
from shared.contracts import new_envelope
from shared.contracts.bookings import Attendee, BookingState
from shared.logging import configure_logging
from shared.messaging.queues import CATALOGUE_BOOKING_EVENTS
from shared.messaging.topology import declare_exchange, declare_subscription
from shared.runtime import ConsumerSpec, Runtime
from tests.conftest import settings_for
from tests.support.infra import create_infra, drop_infra
from tests.support.waiting import wait_for


def booking(event_id: uuid.UUID) -> BookingState:
    now = datetime.now(UTC)
    return BookingState(
        booking_id=uuid.uuid4(),
        version=1,
        event_id=event_id,
        status="confirmed",
        attendee=Attendee(name="Bench Person", email="bench@example.org"),
        manage_url="https://example.org/manage/x",
        created_at=now,
        updated_at=now,
    )


async def tally_rows(rt: Runtime) -> int:
    async with rt.db.engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(booking_tally)
        return int((await conn.execute(count)).scalar_one())


def publish_at_rate(
    amqp_url: str, exchange_name: str, messages: int, rate: float, done: Callable[[], None]
) -> None:
    """In a thread with its own event loop and connection, so that its CPU is not the
    consumer thread's: `messages` booking events, each at its moment (open loop); then
    `done()`."""

    async def run() -> None:
        connection = await aio_pika.connect(amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await declare_exchange(channel, exchange_name)
            event_id = uuid.uuid4()
            started = time.perf_counter()
            for n in range(messages):
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                envelope = new_envelope(
                    "bookings.booking.confirmed", booking(event_id), producer="b"
                )
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
        finally:
            await connection.close()

    try:
        asyncio.run(run())
    finally:
        done()


def tally_consumer(runtime: Runtime, *, batches: bool) -> list[ConsumerSpec]:
    spec = consumers(runtime)[0]
    return [spec if batches else dataclasses.replace(spec, batch=None)]


async def drain(
    messages: int, profile: str | None, *, batches: bool, rate: float | None = None
) -> dict[str, float]:
    infra = await create_infra()
    try:
        settings = settings_for("catalogue", infra, outbox_poll_interval=1.0)
        # The service's own logging (JSON lines), as a running process writes them.
        configure_logging(settings.service_name, settings.log_level)
        rt = Runtime(settings)
        rt.broker.start()
        connection = await rt.broker.wait_connected()
        channel = await connection.channel()
        exchange = await declare_exchange(channel, settings.exchange_name)
        await declare_subscription(
            channel,
            exchange,
            CATALOGUE_BOOKING_EVENTS,
            retry_delays=settings.retry_delays,
            delivery_limit=settings.delivery_limit,
        )
        event_id = uuid.uuid4()
        for _ in range(0 if rate else messages):
            envelope = new_envelope("bookings.booking.confirmed", booking(event_id), producer="b")
            await rt.publisher.publish(
                envelope.type,
                envelope.to_json(),
                message_id=str(envelope.message_id),
                correlation_id=envelope.correlation_id,
            )
        await channel.close()

        profiler = cProfile.Profile() if profile else None
        publisher: threading.Thread | None = None
        published = asyncio.Event()
        if rate:
            await rt.start(lambda runtime: tally_consumer(runtime, batches=batches))
            await wait_for(lambda: all(c.consuming for c in rt.consumers), message="consumer")
            loop = asyncio.get_running_loop()
            publisher = threading.Thread(
                target=publish_at_rate,
                args=(settings.amqp_url, settings.exchange_name, messages, rate),
                kwargs={"done": lambda: loop.call_soon_threadsafe(published.set)},
            )
        # This thread's CPU only: with --rate the publisher is another thread.
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        if publisher is not None:
            publisher.start()
            # Polled only once every message was published: a poll is a query of this thread.
            await published.wait()
            publisher.join()
        else:
            await rt.start(lambda runtime: tally_consumer(runtime, batches=batches))

        async def drained() -> bool:
            return await tally_rows(rt) >= messages

        await wait_for(drained, timeout=600, message="every message applied to the tally")
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
        await rt.stop()
    finally:
        await drop_infra(infra)
    return {
        "messages": messages,
        "consumer_cpu_ms_per_message": cpu / messages * 1000,
        "messages_per_s": messages / wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--one-by-one", action="store_true", help="no batches")
    parser.add_argument(
        "--rate", type=float, help="publish this many a second while the consumer runs"
    )
    parser.add_argument("--profile", help="write a cProfile of the drain to this file")
    args = parser.parse_args()
    r = asyncio.run(drain(args.messages, args.profile, batches=not args.one_by_one, rate=args.rate))
    print(
        f"{int(r['messages'])} tally messages drained"
        f"{' one by one' if args.one_by_one else ''}"
        f"{f' arriving at {args.rate:g}/s' if args.rate else ''}: consumer CPU "
        f"{r['consumer_cpu_ms_per_message']:.3f} ms/message, "
        f"{r['messages_per_s']:.0f} messages/s",
        # stdout carries the service's log lines (send them to /dev/null).
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
