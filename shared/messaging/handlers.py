"""Turns a plain `(payload, uow)` function into a message handler that parses the payload,
claims the message in the inbox and commits the effect in one transaction; and a routing
table into a batch handler that does the same for several messages in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.registry import parse_payload
from shared.db import Database, UnitOfWork
from shared.logging import get_logger
from shared.messaging.consumer import BatchHandler, Handler

log = get_logger(__name__)

TransactionalHandler = Callable[[Any, UnitOfWork], Awaitable[None]]
# The same use case for a run of payloads at once (in message order), in one statement where
# it can: `(payloads, uow)`.
ManyHandler = Callable[[Sequence[Any], UnitOfWork], Awaitable[None]]


def transactional(db: Database, consumer: str, fn: TransactionalHandler) -> Handler:
    async def handle(envelope: Envelope) -> None:
        payload = parse_payload(envelope)
        async with db.unit_of_work() as uow:
            if not await uow.first_delivery(consumer, envelope.message_id):
                log.info("message.duplicate_ignored", consumer=consumer)
                return
            await fn(payload, uow)
            await uow.commit()

    handle.__name__ = getattr(fn, "__name__", "handle")
    return handle


def transactional_table(
    db: Database, consumer: str, table: Mapping[str, TransactionalHandler]
) -> dict[str, Handler]:
    """A service's routing table (type -> plain function) made into message handlers."""
    return {type_: transactional(db, consumer, fn) for type_, fn in table.items()}


def transactional_batch(
    db: Database,
    consumer: str,
    table: Mapping[str, TransactionalHandler],
    many: Mapping[str, ManyHandler] | None = None,
) -> BatchHandler:
    """Several messages in one transaction: one inbox statement claims them all, then each
    message not handled before is applied in order, by its `many` form where the table has
    one (consecutive messages with the same `many` function in one call), and the whole is
    committed once. Any error rolls back everything; the runner then handles the messages
    one by one, so the batch form must have exactly the effect of the single one."""
    many = dict(many or {})

    async def handle(envelopes: Sequence[Envelope]) -> None:
        async with db.unit_of_work() as uow:
            fresh = await uow.first_deliveries(consumer, [e.message_id for e in envelopes])
            run: list[Any] = []
            run_fn: ManyHandler | None = None
            seen: set[object] = set()
            for envelope in envelopes:
                if envelope.message_id not in fresh or envelope.message_id in seen:
                    log.info(
                        "message.duplicate_ignored",
                        consumer=consumer,
                        message_id=str(envelope.message_id),
                    )
                    continue
                seen.add(envelope.message_id)
                payload = parse_payload(envelope)
                fn = many.get(envelope.type)
                if run and fn is not run_fn:
                    assert run_fn is not None
                    await run_fn(run, uow)
                    run = []
                if fn is None:
                    await table[envelope.type](payload, uow)
                else:
                    run_fn = fn
                    run.append(payload)
            if run:
                assert run_fn is not None
                await run_fn(run, uow)
            await uow.commit()

    return handle
