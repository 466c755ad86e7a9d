"""Publishing many messages on one confirmed channel with one socket write.

aio-pika's `exchange.publish` goes through aiormq's `basic_publish`, which, per message, takes
the channel's lock, marshals the three frames (method, header, body) into one buffer, queues it
for the connection's writer and waits until the writer has drained it before releasing the
lock. So a batch of 200 costs 200 lock hand-overs, 200 writer wake-ups and 200 `write`
syscalls, however the publishes are gathered. Here the whole batch is marshalled into one
buffer under the lock once, queued as one frame group and drained once; the broker sees the
same frames in the same order on the same channel, and each message still gets its own
delivery tag and its own confirmation future (resolved by aiormq's own confirm handling, which
also rejects them if the channel closes). Only `mandatory=False` publishes are done this way:
a returned message would need aiormq's message-id bookkeeping, which this skips.

This uses aiormq's channel internals (its lock, delivery-tag counter, confirmation map and
write queue), which is why aiormq is pinned; `tests/integration/test_messaging.py` exercises it
against the real broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiormq
from aiormq.abc import ChannelFrame
from pamqp import commands as spec

from shared.messaging.frames import marshal_publish


async def publish_confirmed(
    channel: aiormq.abc.AbstractChannel,
    exchange: str,
    messages: Sequence[tuple[str, bytes, spec.Basic.Properties]],
    *,
    timeout: float,
) -> list[BaseException | None]:
    """Publish (routing key, body, properties) in order; one result per message: None when the
    broker confirmed it, else why not (nack, channel closed, no answer within `timeout`).
    Raises when nothing could be written (closed channel, a write that did not finish)."""
    if not isinstance(channel, aiormq.Channel) or not channel.publisher_confirms:
        raise RuntimeError("publish_confirmed needs an aiormq channel with publisher confirms")
    deadline = asyncio.get_running_loop().time() + timeout
    confirmations: list[asyncio.Future[object]] = []
    async with asyncio.timeout_at(deadline), channel.lock:
        if channel.is_closed:
            raise aiormq.exceptions.ChannelInvalidStateError(f"{channel!r} closed")
        first_tag = channel.delivery_tag
        frames: list[bytes] = []
        try:
            for routing_key, body, properties in messages:
                if len(routing_key) > 255:
                    raise ValueError("Routing key too long (max 255 bytes)")
                channel.delivery_tag += 1
                confirmation = channel.create_future()
                channel.confirmations[channel.delivery_tag] = confirmation
                confirmations.append(confirmation)
                frames.append(
                    marshal_publish(
                        channel.number,
                        exchange,
                        routing_key,
                        properties,
                        body,
                        channel.max_content_size,
                    )
                )
            drained = channel.create_future()
            await channel.write_queue.put(
                ChannelFrame(payload=b"".join(frames), should_close=False, drain_future=drained)
            )
        except BaseException:
            # Nothing reached the writer: give the sequence numbers back, as aiormq does.
            for tag in range(first_tag + 1, channel.delivery_tag + 1):
                channel.confirmations.pop(tag, None)
            channel.delivery_tag = first_tag
            for confirmation in confirmations:
                confirmation.cancel()
            raise
        # The lock is held until the buffer is written, as aiormq holds it for one publish:
        # the writer's back-pressure reaches every publisher of this channel.
        await drained
    remaining = deadline - asyncio.get_running_loop().time()
    if confirmations and remaining > 0:
        await asyncio.wait(confirmations, timeout=remaining)
    unanswered = TimeoutError(f"no publisher confirm within {timeout} s")
    results: list[BaseException | None] = []
    for confirmation in confirmations:
        if not confirmation.done():
            confirmation.cancel()  # aiormq ignores a late confirm of a cancelled future
            results.append(unanswered)
        elif confirmation.cancelled():
            results.append(unanswered)
        else:
            results.append(confirmation.exception())
    return results
