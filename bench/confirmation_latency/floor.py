"""The floor under the confirmation latency, measured in the same run on the same machine: one
broker round trip (publish with confirms, consume) and one SMTP send to the same sink, at the
same pace. A booking's email needs two broker hops (bookings -> notifications, then the send
work item) and one SMTP transaction, plus the services' own work."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import aiosmtplib


async def broker_round_trips(amqp_url: str, count: int, pace: float) -> list[float]:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"floor-{uuid.uuid4().hex[:8]}", exclusive=True)
        received: dict[str, float] = {}
        got_all = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            received[message.message_id or ""] = time.perf_counter()
            await message.ack()
            if len(received) == count:
                got_all.set()

        await queue.consume(on_message)
        sent: dict[str, float] = {}
        for n in range(count):
            sent[str(n)] = time.perf_counter()
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}", message_id=str(n)), routing_key=queue.name
            )
            await asyncio.sleep(pace)
        await asyncio.wait_for(got_all.wait(), 30)
        return sorted(received[key] - start for key, start in sent.items())
    finally:
        await connection.close()


async def smtp_sends(port: int, count: int, pace: float) -> list[float]:
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await smtp.connect()
    body = b"Subject: floor\r\nTo: floor@example.org\r\n\r\n" + (b"x" * 75 + b"\r\n") * 80
    took = []
    try:
        for n in range(count):
            started = time.perf_counter()
            await smtp.sendmail("p@example.org", [f"floor{n}@example.org"], body)
            took.append(time.perf_counter() - started)
            await asyncio.sleep(pace)
    finally:
        await smtp.quit()
    return sorted(took)
