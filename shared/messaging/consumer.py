"""The one consumer runner: manual acks, bounded prefetch, retry with growing delays, then park.

Per message: parse the envelope, bind its correlation id for every log line it causes, call
the handler for its type, and ack only after the handler returned. A failing handler's message
goes to the retry queue for its attempt (which dead-letters it back after the delay); after the
last delay it is parked with the error; an unparseable message takes the same path, so one
rule covers every poison message. Infrastructure errors (the database unreachable) hold the
message and wait, so messages stay in the queue instead of burning retries during an outage.

A consumer given a batch handler takes what is already delivered, up to `batch_size`, and
applies it in one call (one transaction, see `handlers.transactional_batch`), then acks the
batch with one `multiple` ack after the commit. Messages are taken strictly in delivery order
and one batch at a time, so every earlier delivery on the channel is settled before that ack.
If the batch fails for any reason, its messages go one by one through the path above: a bad
message is retried or parked on its own and never holds back or loses the others; a crash
between commit and ack redelivers a batch whose inbox rows make it change nothing. A channel
that closes (its broker node stopped) cancels the tasks of its deliveries; the handler's own
work is not cancelled with them but runs to its end (`_to_the_end`): a cancel landing just
after a commit would otherwise skip what the handler does after it (send the email it
queued), and the redelivered message, its inbox row found, would not do it either. With a
`linger`, a batch not yet full waits that long for more deliveries before it is applied: at a
steady trickle (100 bookings/s) each message would otherwise be a batch of its own, paying a
round trip to the database and an ack alone, which cost more CPU than the message itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.logging import describe_error, get_logger, log_context
from shared.messaging.broker import Broker
from shared.messaging.publisher import Publisher
from shared.messaging.topology import (
    Subscription,
    declare_exchange,
    declare_subscription,
    parked_queue_name,
    retry_queue_name,
)
from shared.messaging.transient import is_transient
from shared.metrics import (
    CONSUMER_LAG,
    CONSUMER_UNACKED,
    MESSAGES_CONSUMED,
    MESSAGES_PARKED,
    MESSAGES_RETRIED,
)

Handler = Callable[[Envelope], Awaitable[None]]
# Applies several messages all or nothing (one transaction); raising sends each of them
# through its `Handler` alone.
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[None]]
# Called when a message is parked, with its envelope (None if it could not be parsed) and the
# last error, so a service can record the give-up on the thing the message was about.
OnPark = Callable[[Envelope | None, str], Awaitable[None]]
log = get_logger(__name__)

ATTEMPTS_HEADER = "x-attempts"


class ConsumerRunner:
    def __init__(
        self,
        broker: Broker,
        publisher: Publisher,
        subscription: Subscription,
        handlers: Mapping[str, Handler],
        *,
        exchange_name: str,
        prefetch: int,
        retry_delays: list[float],
        delivery_limit: int,
        transient: Callable[[BaseException], bool] = is_transient,
        on_park: OnPark | None = None,
        batch: BatchHandler | None = None,
        batch_size: int | None = None,
        linger: float = 0.0,
    ) -> None:
        self._broker = broker
        self._publisher = publisher
        self.subscription = subscription
        self._handlers = dict(handlers)
        self._exchange_name = exchange_name
        self._prefetch = prefetch
        self._delays = list(retry_delays)
        self._delivery_limit = delivery_limit
        self._transient = transient
        self._on_park = on_park
        self._batch = batch
        # Half the prefetch: the broker delivers the next half while this one is applied.
        self._batch_size = max(batch_size or prefetch // 2, 1)
        self._linger = linger
        # Set when a lingering batch may go: full, its linger over, or the consumer stopping.
        self._batch_ready = asyncio.Event()
        self._waiting: list[AbstractIncomingMessage] = []
        self._draining = False
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        # Handlers' work whose delivery was cancelled by its channel closing, still running.
        self._finishing: set[asyncio.Future[None]] = set()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def queue_name(self) -> str:
        return self.subscription.queue

    @property
    def consuming(self) -> bool:
        """Whether the broker has this consumer's subscription (`start` has finished)."""
        return self._tag is not None

    async def start(self) -> None:
        self._channel = await self._broker.channel(prefetch=self._prefetch, confirms=False)
        exchange = await declare_exchange(self._channel, self._exchange_name)
        self._queue = await declare_subscription(
            self._channel,
            exchange,
            self.subscription,
            retry_delays=self._delays,
            delivery_limit=self._delivery_limit,
        )
        self._tag = await self._queue.consume(self._on_message, no_ack=False)
        log.info("consumer.started", queue=self.queue_name, prefetch=self._prefetch)

    async def stop(self, grace: float) -> None:
        """Stop taking messages, give in-flight ones `grace` seconds, then close the channel,
        which hands anything still unacked back to the queue."""
        self._stopping = True
        self._batch_ready.set()
        # Every broker call here is bounded: with the broker away, a robust channel would
        # otherwise wait for a reconnection that may never come before the process must exit.
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._queue.cancel(self._tag), timeout=2)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        except TimeoutError:
            log.warning(
                "consumer.stop_timeout", queue=self.queue_name, inflight=len(self._inflight)
            )
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=grace)
        if self._channel is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._channel.close(), timeout=2)
        log.info("consumer.stopped", queue=self.queue_name)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        unacked = CONSUMER_UNACKED.labels(self.queue_name)
        unacked.inc()
        if self._batch is not None:
            # One task drains what is waiting; the others only add their message to it.
            self._waiting.append(message)
            self._idle.clear()
            if len(self._waiting) >= self._batch_size:
                self._batch_ready.set()
            if self._draining:
                return
            self._draining = True
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        self._idle.clear()
        try:
            if self._batch is None:
                try:
                    await self._process(message)
                finally:
                    unacked.dec()
            else:
                await self._drain(self._batch)
        finally:
            self._draining = False
            self._inflight.discard(task)
            if not self._inflight and not self._waiting:
                self._idle.set()

    async def _drain(self, batch: BatchHandler) -> None:
        unacked = CONSUMER_UNACKED.labels(self.queue_name)
        # Deliveries that came in one read have their callbacks scheduled already: let them
        # join before the first batch is taken; with a linger, the next ones too.
        await asyncio.sleep(0)
        while self._waiting:
            if self._linger and len(self._waiting) < self._batch_size and not self._stopping:
                # Until the batch is full or the linger is over: a backlog drains at full
                # speed (its batches fill as fast as the broker delivers), a trickle waits.
                self._batch_ready.clear()
                timer = asyncio.get_running_loop().call_later(self._linger, self._batch_ready.set)
                try:
                    await self._batch_ready.wait()
                finally:
                    timer.cancel()
            taken = self._waiting[: self._batch_size]
            del self._waiting[: len(taken)]
            try:
                # A lone message too: the batch form is the cheaper one (one statement per
                # step, prepared once), and a failure still goes through the path above.
                await self._process_batch(taken, batch)
            except Exception as exc:
                # An ack on a channel that closed meanwhile: the broker redelivers those
                # messages, whose inbox rows make them change nothing. The rest still drains.
                log.error(
                    "batch.settle_failed", queue=self.queue_name, error=describe_error(exc)[:500]
                )
            finally:
                unacked.dec(len(taken))

    async def _process_batch(
        self, messages: list[AbstractIncomingMessage], batch: BatchHandler
    ) -> None:
        started = time.perf_counter()
        try:
            envelopes = [Envelope.from_json(m.body) for m in messages]
        except (ValidationError, ValueError):
            envelopes = None
        if envelopes is not None:
            handled = [e for e in envelopes if e.type in self._handlers]
            try:
                if handled:
                    await self._to_the_end(batch(handled))
            except Exception as exc:
                log.warning(
                    "batch.failed_one_by_one",
                    queue=self.queue_name,
                    messages=len(messages),
                    error=describe_error(exc)[:500],
                )
            else:
                await self._ack_batch(messages)
                self._batch_handled(envelopes, started)
                return
        for message in messages:
            await self._process(message)

    async def _to_the_end(self, work: Awaitable[None]) -> None:
        """Await `work`; if this delivery's task is cancelled meanwhile (its channel closed),
        the work goes on by itself and the cancel goes on up: the message is not acked, and
        comes back on the next channel."""
        task = asyncio.ensure_future(work)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                self._finishing.add(task)
                task.add_done_callback(self._finished)
            raise

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._finishing.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            # Its message comes back and takes the usual path (retry, then park).
            log.warning(
                "message.handler_failed_after_cancel",
                queue=self.queue_name,
                error=describe_error(exc)[:500],
            )

    @staticmethod
    async def _ack_batch(messages: list[AbstractIncomingMessage]) -> None:
        """One ack per channel for its last message: the channel a message came on acks it,
        and after a reconnection a batch can hold deliveries of the old channel and the new."""
        last: dict[int, AbstractIncomingMessage] = {}
        for message in messages:
            last[id(message.channel)] = message
        for message in last.values():
            await message.ack(multiple=True)

    def _batch_handled(self, envelopes: list[Envelope], started: float) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        now = datetime.now(UTC)
        lag = CONSUMER_LAG.labels(self.queue_name)
        outcomes: Counter[tuple[str, str]] = Counter()
        for envelope in envelopes:
            if envelope.type not in self._handlers:
                outcomes[envelope.type, "ignored"] += 1
                continue
            outcomes[envelope.type, "handled"] += 1
            lag.observe(max((now - envelope.occurred_at).total_seconds(), 0.0))
            # One line per message, with its ids, as a message handled alone writes it.
            log.info(
                "message.handled",
                correlation_id=envelope.correlation_id,
                message_id=str(envelope.message_id),
                causation_id=envelope.causation_id,
                message_type=envelope.type,
                queue=self.queue_name,
                duration_ms=duration_ms,
                batch=len(envelopes),
            )
        for (type_, outcome), n in outcomes.items():
            MESSAGES_CONSUMED.labels(self.queue_name, type_, outcome).inc(n)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except (ValidationError, ValueError) as exc:
            with log_context(message_id=message.message_id, correlation_id=message.correlation_id):
                await self._retry_or_park(message, message.type or "unparseable", exc)
            return
        handler = self._handlers.get(envelope.type)
        with log_context(
            correlation_id=envelope.correlation_id,
            message_id=str(envelope.message_id),
            causation_id=envelope.causation_id,
            message_type=envelope.type,
            queue=self.queue_name,
        ):
            if handler is None:
                await message.ack()
                MESSAGES_CONSUMED.labels(self.queue_name, envelope.type, "ignored").inc()
                return
            await self._run_handler(message, envelope, handler)

    async def _run_handler(
        self, message: AbstractIncomingMessage, envelope: Envelope, handler: Handler
    ) -> None:
        started = time.perf_counter()
        wait = 0.5
        while True:
            try:
                await self._to_the_end(handler(envelope))
                break
            except Exception as exc:
                if self._transient(exc) and not self._stopping:
                    log.warning(
                        "message.waiting_for_infrastructure",
                        error=describe_error(exc),
                        retry_in=wait,
                    )
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, 5)
                    continue
                if self._stopping and self._transient(exc):
                    await message.nack(requeue=True)
                    return
                await self._retry_or_park(message, envelope.type, exc)
                return
        await message.ack()
        MESSAGES_CONSUMED.labels(self.queue_name, envelope.type, "handled").inc()
        CONSUMER_LAG.labels(self.queue_name).observe(
            max((datetime.now(UTC) - envelope.occurred_at).total_seconds(), 0.0)
        )
        log.info(
            "message.handled",
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    async def _retry_or_park(
        self, message: AbstractIncomingMessage, type_: str, exc: Exception
    ) -> None:
        # Our own publisher writes an int; a header of any other type counts as no attempt yet.
        seen = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
        attempts = (seen if isinstance(seen, int) else 0) + 1
        # Masked and without database or validation text: it travels in `x-last-error`.
        error = describe_error(exc)[:2000]
        MESSAGES_CONSUMED.labels(self.queue_name, type_, "failed").inc()
        if attempts > len(self._delays):
            log.error("message.failed", error=error, attempts=attempts, exc_info=exc)
            await self._park(message, error, attempts=attempts)
            return
        delay = self._delays[attempts - 1]
        log.warning("message.retry_scheduled", error=error, attempts=attempts, delay_s=delay)
        await self._publisher.send_to_queue(
            retry_queue_name(self.queue_name, delay),
            message.body,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type_=message.type,
            headers={**(message.headers or {}), ATTEMPTS_HEADER: attempts, "x-last-error": error},
        )
        # Acked only once the retry copy is confirmed: at worst a crash here duplicates a
        # message, which the idempotent handlers absorb; it never loses one.
        await message.ack()
        MESSAGES_RETRIED.labels(self.queue_name).inc()

    async def _park(self, message: AbstractIncomingMessage, error: str, *, attempts: int) -> None:
        await self._publisher.send_to_queue(
            parked_queue_name(self.queue_name),
            message.body,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            type_=message.type,
            headers={
                **(message.headers or {}),
                ATTEMPTS_HEADER: attempts,
                "x-last-error": error[:2000],
                "x-original-queue": self.queue_name,
                "x-parked-at": datetime.now(UTC).isoformat(),
            },
        )
        await self._run_on_park(message, error)
        await message.ack()
        MESSAGES_PARKED.labels(self.queue_name).inc()
        log.error("message.parked", error=error[:500], attempts=attempts)

    async def _run_on_park(self, message: AbstractIncomingMessage, error: str) -> None:
        """After the parked copy is confirmed and before the ack: a crash in between runs the
        hook again on redelivery, so hooks must be idempotent. A failing hook is logged and
        does not stop the parking (the message is safe in the parked queue either way)."""
        if self._on_park is None:
            return
        try:
            envelope: Envelope | None = Envelope.from_json(message.body)
        except (ValidationError, ValueError):
            envelope = None
        try:
            await self._on_park(envelope, error)
        except Exception as exc:
            log.error("message.on_park_failed", error=describe_error(exc)[:500], exc_info=exc)
