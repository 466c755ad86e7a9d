"""Declare the whole topology (exchange, every consumer queue, its retry and parked queues).

    python -m shared.messaging.declare

Run before the first start, so messages published before a consumer first connects are
queued for it rather than dropped as unroutable. Services also declare their own queues at start.
"""

from __future__ import annotations

import asyncio

import aio_pika

from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import declare_exchange, declare_subscription
from shared.settings import ServiceSettings


async def declare_all(settings: ServiceSettings) -> list[str]:
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, settings.exchange_name)
        declared = []
        for subscriptions in BY_SERVICE.values():
            for subscription in subscriptions:
                await declare_subscription(
                    channel,
                    exchange,
                    subscription,
                    retry_delays=settings.retry_delays,
                    delivery_limit=settings.delivery_limit,
                )
                declared.append(subscription.queue)
        return declared
    finally:
        await connection.close()


def main() -> int:
    queues = asyncio.run(declare_all(ServiceSettings()))
    print(f"topology declared: {', '.join(queues)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
