"""Turns a plain `(payload, uow)` function into a message handler that parses the payload,
claims the message in the inbox and commits the effect in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.registry import parse_payload
from shared.db import Database, UnitOfWork
from shared.logging import get_logger
from shared.messaging.consumer import Handler

log = get_logger(__name__)

TransactionalHandler = Callable[[Any, UnitOfWork], Awaitable[None]]


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
