"""Turns a plain `(payload, uow)` function into a message handler that parses the payload,
claims the message in the inbox and commits the effect in one transaction; and a routing
table into a batch handler that does the same for several messages in one transaction; and,
for a busy queue whose effect fits one SQL statement, a batch handler that claims and applies
in that one statement."""

from __future__ import annotations

import uuid
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


# The inbox claim as the first part of a batch's one statement: `$1` the consumer, `$2` the
# batch's message ids (each once). The rest of the statement applies only the messages in
# `claimed(message_id)` and ends with `SELECT message_id FROM claimed`. A data-modifying WITH
# runs whether or not the final SELECT reads it, and the whole is one implicit transaction: the
# claim and the effect are committed together or not at all, as in `transactional`. A
# concurrent delivery of the same message waits on the inbox key and then claims nothing.
INBOX_CLAIMED = (
    "claimed AS (INSERT INTO inbox (consumer, message_id)"
    " SELECT CAST($1 AS text), id FROM unnest(CAST($2 AS uuid[])) AS c(id)"
    " ON CONFLICT DO NOTHING RETURNING message_id)"
)

# `(messages)` -> the statement and its own parameters (from `$3` on), for the messages of a
# batch in delivery order, each as `(message_id, payload)`; repeats included, which the
# statement must apply once (joined on `claimed`, which holds each message at most once).
OneStatement = Callable[[Sequence[tuple[uuid.UUID, Any]]], tuple[str, Sequence[Any]]]


def one_statement_batch(db: Database, consumer: str, statement: OneStatement) -> BatchHandler:
    """A batch handler for a queue whose every message type the one statement applies: one
    round trip on the driver connection (`Database.driver_connection`), where
    `transactional_batch` takes four through the unit of work (BEGIN, claim, effect, COMMIT),
    each costing more CPU through SQLAlchemy than the whole statement does on asyncpg. It must
    have exactly the effect of the single handlers the runner falls back to on any error."""

    async def handle(envelopes: Sequence[Envelope]) -> None:
        messages = [(e.message_id, parse_payload(e)) for e in envelopes]
        sql, params = statement(messages)
        ids = list(dict.fromkeys(m for m, _ in messages))
        async with db.driver_connection() as conn:
            rows = await conn.fetch(sql, consumer, ids, *params, timeout=30)
        fresh = {row[0] for row in rows}
        seen: set[uuid.UUID] = set()
        for message_id, _ in messages:
            if message_id not in fresh or message_id in seen:
                log.info("message.duplicate_ignored", consumer=consumer, message_id=str(message_id))
            seen.add(message_id)

    return handle
