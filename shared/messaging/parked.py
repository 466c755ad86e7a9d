"""Operations command for parked messages.

    python -m shared.messaging.parked list [--queue Q]
    python -m shared.messaging.parked replay (--all | MESSAGE_ID ...) [--queue Q]

Listing reads each parked queue without taking anything off it; replaying puts a message back
on the queue it was parked from, with its attempt count reset, and only then removes it.
The same functions serve each service's ops API (`shared/ops_api.py`), so there is one way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from shared.messaging.addresses import connect_first
from shared.messaging.consumer import ATTEMPTS_HEADER
from shared.messaging.queues import all_queues
from shared.messaging.topology import parked_queue_name
from shared.settings import ServiceSettings

T = TypeVar("T")


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


async def list_parked(
    connection: AbstractConnection, queues: Sequence[str], *, limit: int | None = None
) -> list[ParkedMessage]:
    """Parked messages of `queues`, oldest first, without taking any off their queue."""
    found: list[ParkedMessage] = []
    for queue in queues:
        # A channel per queue: a passive declare of a missing queue closes its channel.
        channel = await connection.channel()
        try:
            found += [_describe(queue, m) for m in await _drain(channel, queue)]
        finally:
            await channel.close()  # unacked messages go back to the parked queue
        if limit is not None and len(found) >= limit:
            return found[:limit]
    return found


async def replay_parked(
    connection: AbstractConnection, queues: Sequence[str], message_ids: set[str] | None
) -> list[ParkedMessage]:
    """Replay the chosen parked messages (all when `message_ids` is None); returns those
    replayed. Each goes back to its queue, confirmed by the broker, before it leaves the
    parked queue: a crash in between replays it twice, which the consumers' inbox absorbs."""
    replayed: list[ParkedMessage] = []
    for queue in queues:
        channel = await connection.channel(publisher_confirms=True)
        try:
            for message in await _drain(channel, queue):
                if message_ids is not None and message.message_id not in message_ids:
                    continue
                await _republish(channel, queue, message)
                await message.ack()
                replayed.append(_describe(queue, message))
        finally:
            await channel.close()
    return replayed


async def _republish(
    channel: aio_pika.abc.AbstractChannel, queue: str, message: AbstractIncomingMessage
) -> None:
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


async def _with_connection(amqp_url: str, work: Callable[[AbstractConnection], Awaitable[T]]) -> T:
    connection = await connect_first(amqp_url)
    try:
        return await work(connection)
    finally:
        await connection.close()


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
        found = asyncio.run(_with_connection(settings.amqp_url, lambda c: list_parked(c, queues)))
        for item in found:
            print(json.dumps(asdict(item)))
        print(f"{len(found)} parked", file=sys.stderr)
        return 0
    if not args.all and not args.message_ids:
        parser.error("replay needs --all or message ids")
    chosen = None if args.all else set(args.message_ids)
    done = asyncio.run(
        _with_connection(settings.amqp_url, lambda c: replay_parked(c, queues, chosen))
    )
    print(f"{len(done)} replayed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
