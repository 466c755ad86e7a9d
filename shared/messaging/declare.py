"""Declare the whole topology (exchange, every consumer queue, its retry and parked queues).

    python -m shared.messaging.declare                  (declare on the broker in AMQP_URL)
    python -m shared.messaging.declare --definitions    (print it as a RabbitMQ definitions file)

Run before the first start, so messages published before a consumer first connects are
queued for it rather than dropped as unroutable. Services also declare their own queues at start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from pamqp.common import FieldTable

from shared.messaging.addresses import connect_first
from shared.messaging.queues import BY_SERVICE
from shared.messaging.topology import (
    declare_exchange,
    declare_subscription,
    subscription_queues,
)
from shared.settings import ServiceSettings


async def declare_all(settings: ServiceSettings) -> list[str]:
    connection = await connect_first(settings.amqp_url)
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


def definitions(settings: ServiceSettings, *, vhost: str = "/") -> dict[str, Any]:
    """The same topology as a definitions document (`rabbitmqctl import_definitions`, or the
    management plugin's `load_definitions`), for deployments that provision the broker first."""
    exchange = settings.exchange_name
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []

    def queue(name: str, arguments: FieldTable) -> None:
        queues.append(
            {
                "name": name,
                "vhost": vhost,
                "durable": True,
                "auto_delete": False,
                "arguments": arguments,
            }
        )

    for subscriptions in BY_SERVICE.values():
        for sub in subscriptions:
            specs = subscription_queues(
                sub, retry_delays=settings.retry_delays, delivery_limit=settings.delivery_limit
            )
            # Listed main queue first, as the file always has (a stable diff for reviewers).
            for spec in [specs[-1], *specs[:-1]]:
                queue(spec.name, spec.arguments)
            bindings += [
                {
                    "source": exchange,
                    "vhost": vhost,
                    "destination": sub.queue,
                    "destination_type": "queue",
                    "routing_key": key,
                    "arguments": {},
                }
                for key in sub.routing_keys
            ]
    return {
        "exchanges": [
            {
                "name": exchange,
                "vhost": vhost,
                "type": "topic",
                "durable": True,
                "auto_delete": False,
                "internal": False,
                "arguments": {},
            }
        ],
        "queues": queues,
        "bindings": bindings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.declare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--definitions", action="store_true")
    args = parser.parse_args(argv)
    if args.definitions:
        print(json.dumps(definitions(ServiceSettings()), indent=2))
        return 0
    queues = asyncio.run(declare_all(ServiceSettings()))
    print(f"topology declared: {', '.join(queues)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
