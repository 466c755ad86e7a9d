"""Operations command for parked messages.

    python -m shared.messaging.parked list [--queue Q]
    python -m shared.messaging.parked replay (--all | MESSAGE_ID ...) [--queue Q]

Listing reads each parked queue without taking anything off it; replaying puts a message back
on the queue it was parked from, with its attempt count reset, and only then removes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.messaging.addresses import connect_first
from shared.messaging.consumer import ATTEMPTS_HEADER
from shared.messaging.queues import all_queues
from shared.messaging.topology import parked_queue_name
from shared.settings import ServiceSettings


@dataclass
class ParkedMessage:
    queue: str
    message_id: str | None
    type: str | None
    error: str
    attempts: int
    age_seconds: float | None


def _describe(queue: str, message: AbstractIncomingMessage) -> ParkedMessage:
    headers: dict[str, Any] = dict(message.headers or {})
    parked_at = headers.get("x-parked-at")
    age = None
    if isinstance(parked_at, str):
        age = (datetime.now(UTC) - datetime.fromisoformat(parked_at)).total_seconds()
    error = headers.get("x-last-error") or ""
    if not error and headers.get("x-death"):
        error = "delivery limit reached"
    return ParkedMessage(
        queue=queue,
        message_id=message.message_id,
        type=message.type,
        error=str(error),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0) or 0),
        age_seconds=round(age, 1) if age is not None else None,
    )


async def _drain(
    channel: aio_pika.abc.AbstractChannel, queue: str
) -> list[AbstractIncomingMessage]:
    try:
        parked = await channel.declare_queue(parked_queue_name(queue), passive=True)
    except aio_pika.exceptions.ChannelClosed:
        return []
    messages = []
    while (message := await parked.get(no_ack=False, fail=False)) is not None:
        messages.append(message)
    return messages


async def list_parked(amqp_url: str, queues: list[str]) -> list[ParkedMessage]:
    connection = await connect_first(amqp_url)
    try:
        found: list[ParkedMessage] = []
        for queue in queues:
            # A channel per queue: a passive declare of a missing queue closes its channel.
            channel = await connection.channel()
            found += [_describe(queue, m) for m in await _drain(channel, queue)]
            await channel.close()  # unacked messages go back to the parked queue
        return found
    finally:
        await connection.close()


async def replay_parked(amqp_url: str, queues: list[str], message_ids: set[str] | None) -> int:
    """Replay the chosen parked messages (all when `message_ids` is None); returns how many."""
    connection = await connect_first(amqp_url)
    replayed = 0
    try:
        for queue in queues:
            channel = await connection.channel(publisher_confirms=True)
            for message in await _drain(channel, queue):
                if message_ids is not None and message.message_id not in message_ids:
                    continue
                headers = {
                    k: v
                    for k, v in (message.headers or {}).items()
                    if k not in (ATTEMPTS_HEADER, "x-last-error", "x-parked-at", "x-death")
                }
                target = str((message.headers or {}).get("x-original-queue") or queue)
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers=headers,
                        message_id=message.message_id,
                        correlation_id=message.correlation_id,
                        type=message.type,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=target,
                    mandatory=True,
                )
                await message.ack()
                replayed += 1
            await channel.close()
    finally:
        await connection.close()
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.messaging.parked",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list parked messages (type, error, attempts, age)")
    ls.add_argument("--queue", action="append", help="a consumer queue (default: all)")
    rp = sub.add_parser("replay", help="put parked messages back on their queue")
    rp.add_argument("message_ids", nargs="*")
    rp.add_argument("--all", action="store_true")
    rp.add_argument("--queue", action="append")
    args = parser.parse_args(argv)
    settings = ServiceSettings()
    queues = args.queue or all_queues()
    if args.command == "list":
        found = asyncio.run(list_parked(settings.amqp_url, queues))
        for item in found:
            print(json.dumps(asdict(item)))
        print(f"{len(found)} parked", file=sys.stderr)
        return 0
    if not args.all and not args.message_ids:
        parser.error("replay needs --all or message ids")
    count = asyncio.run(
        replay_parked(settings.amqp_url, queues, None if args.all else set(args.message_ids))
    )
    print(f"{count} replayed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
